// A private network namespace joined to the host by its own veth pair, for clients whose link
// can be taken down (no FIN, no RST ever reaches wsgate: a half-open connection). Its two
// addresses are /32 peers in 10.250.77.0/24 outside the e2e pods' range (.1-.21), so the more
// specific routes win over the e2e namespace's /24, and nothing else is touched.

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Link {
  readonly netns: string;
  readonly hostAddress: string;
  readonly nsAddress: string;
  /** Takes the namespace side of the link down: from then on nothing goes either way. */
  down(): Promise<void>;
  destroy(): Promise<void>;
}

export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function createLink(): Promise<Link> {
  const id = process.pid % 100000;
  const netns = `wsgate-ho-${id}`;
  const hostIf = `wsho${id}h`;
  const nsIf = `wsho${id}n`;
  const a = 100 + (process.pid % 70) * 2;
  const hostAddress = `10.250.77.${a}`;
  const nsAddress = `10.250.77.${a + 1}`;
  const ip = (...args: string[]) => run('ip', args);
  const destroy = async () => {
    await ip('netns', 'del', netns).catch(() => {});
    await ip('link', 'del', hostIf).catch(() => {});
  };
  await destroy();
  try {
    await ip('netns', 'add', netns);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', netns);
    await ip('addr', 'add', hostAddress, 'peer', `${nsAddress}/32`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up');
    await ip('netns', 'exec', netns, 'ip', 'addr', 'add', nsAddress, 'peer', `${hostAddress}/32`, 'dev', nsIf);
    await ip('netns', 'exec', netns, 'ip', 'link', 'set', nsIf, 'up');
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    netns,
    hostAddress,
    nsAddress,
    down: async () => {
      await ip('netns', 'exec', netns, 'ip', 'link', 'set', nsIf, 'down');
    },
    destroy,
  };
}
