// "Pods" for the e2e suite: echo backends in the network namespace made by
// e2e/cluster/netns.sh, one address each, sharing one port as pods of a Service share a
// target port. (The API server refuses loopback addresses in EndpointSlices.)

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../test/helpers/wsgate-child.js';

export const NETNS = process.env.WSGATE_E2E_NETNS ?? 'wsgate-e2e';
export const POD_PREFIX = process.env.WSGATE_E2E_SUBNET ?? '10.250.77';

export interface PodBackend {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  close(): Promise<void>;
}

function startOne(name: string, ip: string, port: number): Promise<PodBackend> {
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', NETNS, process.execPath, path.join(repoRoot, 'dist/examples/echo-server.js'), name, String(port), ip],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`backend ${name} did not start: ${stderr}`));
    }, 15000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`backend ${name} exited ${code}: ${stderr}`), { inUse: stderr.includes('EADDRINUSE') }));
    });
    child.stdout!.once('data', (c: Buffer) => {
      clearTimeout(timer);
      const m = /on \S+:(\d+)/.exec(c.toString());
      const exited = new Promise<void>((res) => child.once('exit', () => res()));
      resolve({
        name,
        ip,
        port: Number(m?.[1]),
        close: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/** Pods named `names` on 10.250.77.<first>, .<first+1>, ... all on one kernel-chosen port. */
export async function startPodBackends(names: string[], first = 2): Promise<PodBackend[]> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const head = await startOne(names[0]!, `${POD_PREFIX}.${first}`, 0);
    const started: PodBackend[] = [head];
    try {
      for (let i = 1; i < names.length; i++) started.push(await startOne(names[i]!, `${POD_PREFIX}.${first + i}`, head.port));
      return started;
    } catch (err) {
      await Promise.all(started.map((s) => s.close()));
      if (!(err as { inUse?: boolean }).inUse) throw err;
    }
  }
  throw new Error('could not find a port free on every pod address');
}
