// What the metrics observer (src/metrics/proxy-observer.ts) costs per connection, in process:
// `upgrade` + `opened` + `closed` for N connections of one route over two endpoints, with the
// real prom-client registry and the access-log line at info into a discarding stream (so the
// figure is the metrics and the line's serialisation, not a write syscall); OBS_LEVEL=silent
// leaves the line out. CPU time of this process, the median of the runs. A microbenchmark
// for A/B runs of changes to src/metrics (WSGATE_BENCH_DIST=<other build>/dist).
//
// node dist/bench/observer-cost.js [--connections 200000] [--runs 5]

import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';

const opt = (n: string) => {
  const i = process.argv.indexOf(n);
  return i === -1 ? undefined : process.argv[i + 1];
};
const connections = Number(opt('--connections') ?? 200_000);
const runs = Number(opt('--runs') ?? 5);
const dist = path.resolve(process.env.WSGATE_BENCH_DIST ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..'));

const { Metrics } = (await import(path.join(dist, 'src/metrics/registry.js'))) as typeof import('../src/metrics/registry.js');
const { metricsObserver } = (await import(path.join(dist, 'src/metrics/proxy-observer.js'))) as typeof import('../src/metrics/proxy-observer.js');

const sink = new Writable({ write: (_c, _e, cb) => cb() });
const log = pino({ level: process.env.OBS_LEVEL ?? 'info', base: { app: 'wsgate' } }, sink);
const observer = metricsObserver(new Metrics({ defaultMetrics: false }), log);
const route = { namespace: 'default', name: 'bench', key: 'default/bench' } as never;

/** The fields of a LiveConnection the observer reads. */
function connection(i: number) {
  return {
    routeKey: 'default/bench',
    endpointId: i % 2 ? '127.0.0.1:9001' : '127.0.0.1:9002',
    requestId: undefined,
    clientAddress: '127.0.0.1',
    startedAt: Date.now(),
    closing: null,
    backend: { bytesWritten: 200, bytesRead: 180 },
    upstream: { messages: 1 },
    downstream: { messages: 1 },
    closeCode: () => 1000,
    closedBy: () => 'client',
  } as never;
}

const perConnectionUs: number[] = [];
for (let r = 0; r < runs; r++) {
  const conns = Array.from({ length: 64 }, (_x, i) => connection(i));
  // CPU time of this process (user + system), not wall time: the machine may be shared.
  const t0 = process.cpuUsage();
  for (let i = 0; i < connections; i++) {
    const c = conns[i % 64]!;
    observer.upgrade(route, 'ok' as never, 0.001, 'http/1.1');
    observer.opened(c);
    observer.closed(c);
  }
  const used = process.cpuUsage(t0);
  perConnectionUs.push((used.user + used.system) / connections);
}
perConnectionUs.sort((a, b) => a - b);
process.stdout.write(
  `${connections} connections x ${runs} runs (${dist}): ${perConnectionUs.map((x) => x.toFixed(2)).join(' ')} µs per connection; median ${perConnectionUs[runs >> 1]!.toFixed(2)}\n`,
);
