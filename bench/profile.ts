// `make bench-profile`: runs wsgate under `node --cpu-prof` through the throughput scenario and
// then (a fresh process) through the upgrade-rate scenario, and writes for each a summary of the
// top self-time functions (Markdown) and a flame graph (SVG) to bench/results/profile/.
// Opt-in: `requests-h2` and `requests-h1`, plain GETs by h2load (10 connections x 10 streams
// over h2, 100 connections over HTTP/1.1) to wsgate's TLS listener, as the bench's `requests`
// scenario drives the `wsgate-tls` target (access log at info, as users run it).
//
// node dist/bench/profile.js [--seconds N] [--scenarios throughput,upgrades,requests-h2,requests-h1] [--out DIR]

import fs from 'node:fs';
import path from 'node:path';
import { flameSvg, summarize, summaryMarkdown, type CpuProfile } from './cpuprofile-summary.js';
import { Generators } from './generators.js';
import { runH2load } from './h2.js';
import { h2loadArgs, parseH2load, type RequestProtocol } from './lib/h2load.js';
import { runThroughput, runUpgrades } from './scenarios.js';
import { benchCertificate, PLAIN_GET, startBackends, startWsgate } from './targets.js';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const REPO = path.resolve(HERE, '../..');
const opt = (n: string) => {
  const i = process.argv.indexOf(n);
  return i === -1 ? undefined : process.argv[i + 1];
};
const seconds = Number(opt('--seconds') ?? 8);
const which = (opt('--scenarios') ?? 'throughput,upgrades').split(',');
const outDir = path.resolve(opt('--out') ?? path.join(REPO, 'bench/results/profile'));
const size = Number(opt('--size') ?? 32);
const conns = Number(opt('--conns') ?? 100);

/** The request scenarios: as the bench's `requests` scenario runs them (bench/run.ts). */
const REQUESTS: Record<string, { protocol: RequestProtocol; connections: number; streams: number } | undefined> = {
  'requests-h2': { protocol: 'h2', connections: 10, streams: 10 },
  'requests-h1': { protocol: 'h1', connections: 100, streams: 1 },
};

const backends = await startBackends(2);
const gens = await Generators.start(2);
fs.mkdirSync(outDir, { recursive: true });
const index: string[] = [];
try {
  for (const scenario of which) {
    const profDir = fs.mkdtempSync(path.join(outDir, '.prof-'));
    const name = `wsgate-${scenario}.cpuprofile`;
    const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', name];
    const requests = REQUESTS[scenario];
    const wsgate = await startWsgate(backends, requests ? { nodeArgs, tls: benchCertificate(), http2: true, specLines: PLAIN_GET } : { nodeArgs });
    let line: string;
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    const startUs = nowUs();
    if (requests) {
      const args = h2loadArgs({ url: wsgate.h2!.requestUrl, protocol: requests.protocol, connections: requests.connections, streamsPerConnection: requests.streams, length: { warmupMs: 1000, durationMs: seconds * 1000 } });
      const out = await runH2load(args, seconds * 1000 + 30_000).done;
      if (out === undefined) throw new Error('h2load was killed: not every client connected');
      const s = parseH2load(out);
      line = `plain GETs over ${requests.protocol} (h2load -c ${requests.connections} -m ${requests.streams}): ${Math.round(s.requestsPerSecond)} req/s, ${s.status2xx} 2xx`;
    } else if (scenario === 'throughput') {
      const s = await runThroughput(gens, wsgate, backends, { conns, size, inflight: 4, warmupMs: 1000, durationMs: seconds * 1000 });
      line = `throughput ${conns} conns x ${size} B: ${Math.round(s.msgsPerSecond)} msgs/s, wsgate CPU ${s.cpu.proxy}% (${s.proxyCpuUsPerMsg} µs/msg), other load ${s.cpu.other}%`;
    } else {
      const s = await runUpgrades(gens, wsgate, backends, { concurrency: 64, warmupMs: 500, durationMs: seconds * 1000 });
      line = `upgrades: ${Math.round(s.upgradesPerSecond)} /s, wsgate CPU ${s.cpu.proxy}% (${s.proxyCpuUsPerUpgrade} µs/upgrade), other load ${s.cpu.other}%`;
    }
    // Only the load counts: start-up (module loading) and shutdown are left out of the summary.
    const window = { startUs, endUs: nowUs() };
    await wsgate.stop(); // SIGINT: wsgate exits and node writes the profile
    const file = path.join(profDir, name);
    if (!fs.existsSync(file)) throw new Error(`no profile written at ${file}`);
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    fs.renameSync(file, path.join(outDir, name));
    fs.rmSync(profDir, { recursive: true, force: true });
    const md = `${line}\n\n${summaryMarkdown(`wsgate under ${scenario}`, summarize(profile, 25, window))}`;
    fs.writeFileSync(path.join(outDir, `${scenario}.md`), md);
    fs.writeFileSync(path.join(outDir, `${scenario}.svg`), flameSvg(`wsgate --cpu-prof under ${scenario} (busy time during the load)`, profile, window));
    process.stdout.write(`\n${md}\n`);
    index.push(`- ${scenario}: ${line}; [summary](${scenario}.md), [flame graph](${scenario}.svg), raw: ${name}`);
  }
} finally {
  await gens.stop();
  await backends.stop();
}
fs.writeFileSync(path.join(outDir, 'README.md'), `# wsgate CPU profiles\n\n${index.join('\n')}\n`);
process.stderr.write(`profiles and summaries in ${path.relative(process.cwd(), outDir)}\n`);
