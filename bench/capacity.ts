// `make bench-capacity`: as many idle WebSocket connections as this machine's open-file limit
// allows, held through wsgate, nginx and HAProxy in turn, plain and with TLS on the client side
// (wss:// to the proxy, plain to the backends). At that count it reports, per connection, the
// proxy's RSS growth, wsgate's live JS heap, the proxy CPU to open it and to hold it idle, and
// the kernel's socket memory (TCP buffers and slab); then the ratios against nginx and HAProxy of the same run. Not part
// of `make test` or `make bench` (it holds ~10,000 connections per target for a minute or two).
//
// node dist/bench/capacity.js [--targets wsgate,nginx,haproxy] [--modes plain,tls] [--conns N]
//   [--idle-seconds S] [--out DIR]   (default bench/results/capacity/: <date>-idle.json, idle-latest.md)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Generators } from './generators.js';
import { renderCapacityMarkdown, type CapacityResult, type CapacityRow } from './capacity-report.js';
import {
  chargedBytesPerConnection,
  connectionsForFdLimit,
  perConnection,
  portRangeSize,
  sourceAddresses,
  kernelSocketBytes,
  type IdleReadings,
} from './lib/idle-capacity.js';
import { cpuSeconds, openFileLimit, rssBytes } from './lib/proc.js';
import { sleep } from './lib/net.js';
import { ratio, round } from './lib/stats.js';
import { makeSelfSignedCertificate } from './lib/tls.js';
import { connectAll, releaseAll, waitQuiet } from './scenarios.js';
import { haproxyBinary, nginxBinary, startBackends, startHaproxy, startNginx, startWsgate, type ProxyOptions, type Target } from './targets.js';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const REPO = path.resolve(HERE, '../..');

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const TARGETS = ['wsgate', 'nginx', 'haproxy'] as const;
type CapacityTarget = (typeof TARGETS)[number];
const MODES = ['plain', 'tls'] as const;
type Mode = (typeof MODES)[number];

const targetNames = (opt('--targets') ?? TARGETS.join(',')).split(',') as CapacityTarget[];
for (const t of targetNames) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (capacity runs ${TARGETS.join(', ')})`);
const modes = (opt('--modes') ?? MODES.join(',')).split(',') as Mode[];
for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m}`);
const fdLimit = openFileLimit();
const conns = Number(opt('--conns') ?? connectionsForFdLimit(fdLimit));
const idleSeconds = Number(opt('--idle-seconds') ?? 5);
const outDir = path.resolve(opt('--out') ?? path.join(REPO, 'bench/results/capacity'));
/** Connections opened at once per generator process (TLS handshakes queue behind each other). */
const CONNECT_LANES = 100;
const SETTLE_MS = 1500;
// Four echo endpoints: the proxy's side of each run's connections spreads over four
// destinations, so the TIME_WAIT ports of one target never crowd the next one's connects.
const BACKENDS = 4;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function start(name: CapacityTarget, backends: Awaited<ReturnType<typeof startBackends>>, opts: ProxyOptions): Promise<Target> {
  switch (name) {
    case 'wsgate':
      return startWsgate(backends, opts.tls ? { tls: opts.tls } : {});
    case 'nginx':
      return startNginx(backends, 1, 'nginx', opts);
    case 'haproxy':
      return startHaproxy(backends, 1, 'haproxy', opts);
  }
}

const kernel = () => kernelSocketBytes(fs.readFileSync('/proc/net/sockstat', 'utf8'), fs.readFileSync('/proc/meminfo', 'utf8'));

async function measureOne(gens: Generators, target: Target, via: { localAddresses: string[]; ca?: string }): Promise<{ readings: IdleReadings; errors: Record<string, number>; connectSeconds: number }> {
  const rss = () => target.pids().reduce((s, p) => s + rssBytes(p), 0);
  const cpu = () => target.pids().reduce((s, p) => s + cpuSeconds(p), 0);
  // Warm the code paths and pools (and wsgate's JIT) with a few connections first.
  await connectAll(gens, target, 100, 20, via);
  await releaseAll(gens);
  await sleep(SETTLE_MS / 2);
  await waitQuiet();
  // Heap (wsgate, after a full GC) before the idle RSS and after the held RSS: the GCs never
  // lower the RSS growth counted.
  const heapIdle = await target.heapUsed?.();
  const rssIdle = rss();
  const kernelIdle = kernel();
  // The proxy's own idle CPU (timers, metrics) with no connection, to subtract from the held one.
  const b0 = cpu();
  const bt = performance.now();
  await sleep(idleSeconds * 1000);
  const baseCpu = ((cpu() - b0) * idleSeconds * 1000) / (performance.now() - bt);
  const cpu0 = cpu();
  const t0 = performance.now();
  const opened = await connectAll(gens, target, conns, CONNECT_LANES, via);
  const connectSeconds = (performance.now() - t0) / 1000;
  const cpu1 = cpu();
  await sleep(SETTLE_MS);
  const cpu2 = cpu();
  const i0 = performance.now();
  await sleep(idleSeconds * 1000);
  const cpu3 = cpu();
  const idleWindow = (performance.now() - i0) / 1000;
  const rssHeld = rss();
  const kernelHeld = kernel();
  const heapHeld = await target.heapUsed?.();
  await releaseAll(gens);
  return {
    readings: {
      held: opened.opened,
      rssIdleBytes: rssIdle,
      rssHeldBytes: rssHeld,
      ...(heapIdle !== undefined && heapHeld !== undefined ? { heapIdleBytes: heapIdle, heapHeldBytes: heapHeld } : {}),
      connectCpuSeconds: cpu1 - cpu0,
      baseCpuSeconds: (baseCpu * idleWindow) / idleSeconds,
      idleCpuSeconds: cpu3 - cpu2,
      idleSeconds: idleWindow,
      kernelIdleBytes: kernelIdle,
      kernelHeldBytes: kernelHeld,
    },
    errors: opened.errors,
    connectSeconds,
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  if (targetNames.includes('nginx') && !nginxBinary()) throw new Error('nginx is not installed: run `bash bench/setup.sh`');
  if (targetNames.includes('haproxy') && !haproxyBinary()) throw new Error('haproxy is not installed: run `bash bench/setup.sh`');
  const most = connectionsForFdLimit(fdLimit);
  if (conns > most) throw new Error(`--conns ${conns} does not fit the open-file limit ${fdLimit} (at most ${most}: raise \`ulimit -n\`)`);
  const ports = portRangeSize(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
  const localAddresses = sourceAddresses(conns, ports);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-bench-capacity-'));
  const cert = makeSelfSignedCertificate(dir);
  log(`capacity: ${conns} idle connections (ulimit -n ${fdLimit}), targets ${targetNames.join(', ')}, ${modes.join(' and ')}, sources ${localAddresses.join(' ')}`);
  const backends = await startBackends(BACKENDS);
  const gens = await Generators.start(2);
  const rows: CapacityRow[] = [];
  const labels: Record<string, string> = {};
  try {
    for (const mode of modes) {
      for (const name of targetNames) {
        const tls = mode === 'tls' ? { cert: cert.cert, key: cert.key, bundle: cert.bundle } : undefined;
        const target = await start(name, backends, { ...(tls ? { tls } : {}), maxConnections: conns });
        labels[name] = target.label;
        try {
          const m = await measureOne(gens, target, { localAddresses, ...(tls ? { ca: cert.pem } : {}) });
          const per = perConnection(m.readings);
          if (!per) throw new Error(`${name} ${mode}: no connection opened ${JSON.stringify(m.errors)}`);
          const row: CapacityRow = {
            target: name,
            mode,
            held: m.readings.held,
            connectSeconds: round(m.connectSeconds),
            rssIdleBytes: m.readings.rssIdleBytes,
            rssHeldBytes: m.readings.rssHeldBytes,
            rssBytesPerConnection: round(per.rssBytes),
            ...(per.heapBytes !== undefined ? { heapBytesPerConnection: round(per.heapBytes) } : {}),
            connectCpuUsPerConnection: round(per.connectCpuUs),
            idleCpuUsPerConnectionSecond: round(per.idleCpuUsPerSecond),
            kernelBytesPerConnection: round(per.kernelBytes),
            chargedBytesPerConnection: round(chargedBytesPerConnection(per)),
            errors: m.errors,
          };
          rows.push(row);
          // A proxy that held fewer than asked measured another count: say so next to its row.
          if (row.held < conns) log(`  warning: ${name} ${mode} held ${row.held} of ${conns} (errors above); its figures are per connection held`);
          log(`  ${mode.padEnd(5)} ${name.padEnd(8)} ${row.held} held in ${row.connectSeconds} s: RSS ${(row.rssBytesPerConnection / 1024).toFixed(1)} KiB/conn (${(row.rssIdleBytes / 2 ** 20).toFixed(1)} -> ${(row.rssHeldBytes / 2 ** 20).toFixed(1)} MiB)${row.heapBytesPerConnection !== undefined ? `, heap ${(row.heapBytesPerConnection / 1024).toFixed(1)} KiB` : ''}, connect CPU ${row.connectCpuUsPerConnection} µs, idle ${row.idleCpuUsPerConnectionSecond} µs/s, kernel ${(row.kernelBytesPerConnection / 1024).toFixed(1)} KiB${Object.keys(m.errors).length ? ` errors ${JSON.stringify(m.errors)}` : ''}`);
        } finally {
          await target.stop();
        }
        await sleep(1000);
      }
    }
  } finally {
    await gens.stop();
    await backends.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const result: CapacityResult = {
    date: new Date().toISOString(),
    command: `node dist/bench/capacity.js ${process.argv.slice(2).join(' ')}`.trim(),
    durationSeconds: Math.round((performance.now() - t0) / 1000),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30, 3), kernel: os.release(), node: process.versions.node },
    setup: { conns, fdLimit, sourceAddresses: localAddresses, backends: BACKENDS, idleSeconds, targets: labels },
    rows,
    ratios: ratios(rows),
  };
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = result.date.replace(/[:]/g, '-').replace(/\..*$/, '');
  fs.writeFileSync(path.join(outDir, `${stamp}-idle.json`), `${JSON.stringify(result, null, 2)}\n`);
  const md = renderCapacityMarkdown(result);
  fs.writeFileSync(path.join(outDir, 'idle-latest.md'), md);
  process.stdout.write(`\n${md}\n`);
  log(`wrote ${path.join(outDir, `${stamp}-idle.json`)} and idle-latest.md in ${result.durationSeconds} s`);
}

/** wsgate over nginx and over HAProxy, per mode, for every per-connection figure. */
function ratios(rows: CapacityRow[]): CapacityResult['ratios'] {
  const out: CapacityResult['ratios'] = {};
  for (const mode of MODES) {
    const get = (t: string) => rows.find((r) => r.mode === mode && r.target === t);
    const w = get('wsgate');
    if (!w) continue;
    for (const [ref, key] of [['nginx', 'Nginx'], ['haproxy', 'Haproxy']] as const) {
      const r = get(ref);
      if (!r) continue;
      out[`${mode}Vs${key}`] = {
        rssPerConnection: ratio(w.rssBytesPerConnection, r.rssBytesPerConnection),
        chargedPerConnection: ratio(w.chargedBytesPerConnection, r.chargedBytesPerConnection),
        connectCpuPerConnection: ratio(w.connectCpuUsPerConnection, r.connectCpuUsPerConnection),
      };
    }
  }
  return out;
}

main().catch((err: unknown) => {
  process.stderr.write(`capacity bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
