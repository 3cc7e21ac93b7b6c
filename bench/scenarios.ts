// One run of each scenario against one target. The runner calls these interleaved over targets
// and rounds; each returns one sample (a plain object that goes into the JSON as is).

import { performance } from 'node:perf_hooks';
import type { Generators } from './generators.js';
import type { ConnectReply, ConnectVia, LatencyReply, ThroughputReply, UpgradesReply } from './loadgen.js';
import os from 'node:os';
import { cpuSeconds, machineBusyPercent, machineJiffies, machineStealPercent, rssBytes } from './lib/proc.js';
import { sleep } from './lib/net.js';
import { capacityWithin, RSS_BUDGET_BYTES } from './lib/capacity.js';
import { stormFigures, type StormFigures, type StormPart } from './lib/storm.js';
import { percentile, round } from './lib/stats.js';
import type { Backends, Target } from './targets.js';

export interface CpuShare {
  /** Per cent of one core over the measurement window. */
  proxy: number;
  backend: number;
  generator: number;
  /** Everything else on the machine (other programs, the kernel's own threads, steal). */
  other: number;
  /** Of `other`: CPU the hypervisor gave to other guests (steal). */
  steal: number;
}

const CPUS = os.cpus().length;

let quietBudgetMs = 60_000;

/** How long, in total over the whole run, waitQuiet may wait (so a busy machine cannot stretch a run). */
export function setQuietBudget(ms: number): void {
  quietBudgetMs = ms;
}

/**
 * Waits (up to `maxMs`, and within the run's budget) until the machine is quiet: less than
 * `thresholdPct` of one core busy outside this benchmark's idle processes. A shared developer
 * machine may be running other work; each sample records what else ran during its window.
 */
export async function waitQuiet(maxMs = 5_000, thresholdPct = 30): Promise<number> {
  const started = Date.now();
  const deadline = started + Math.min(maxMs, quietBudgetMs);
  let busy = 0;
  try {
    do {
      const a = machineJiffies();
      await sleep(200);
      busy = machineBusyPercent(a, machineJiffies(), CPUS);
      if (busy < thresholdPct) return busy;
    } while (Date.now() < deadline);
    return busy;
  } finally {
    quietBudgetMs = Math.max(0, quietBudgetMs - (Date.now() - started - 200));
  }
}

function mergeErrors(list: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of list) for (const [k, v] of Object.entries(e)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** CPU seconds of the three groups, to compare before and after a window. */
export type CpuSample = { groups: [number, number, number]; machine: { busy: number; total: number; steal: number } };

/** `clientPids`: load generators other than the ws ones (h2load), counted with them. */
export function cpuGroups(target: Target, backends: Backends, gens: Generators, clientPids: readonly number[] = []): CpuSample {
  const sum = (pids: readonly number[]) => pids.reduce((s, p) => s + cpuSeconds(p), 0);
  return { groups: [sum(target.pids()), cpuSeconds(backends.pid), sum([...gens.pids(), ...clientPids])], machine: machineJiffies() };
}

export function cpuShare(a: CpuSample, b: CpuSample, seconds: number): CpuShare {
  const pct = (i: number) => ((b.groups[i]! - a.groups[i]!) / seconds) * 100;
  const ours = pct(0) + pct(1) + pct(2);
  const machine = machineBusyPercent(a.machine, b.machine, CPUS);
  const steal = machineStealPercent(a.machine, b.machine, CPUS);
  return { proxy: round(pct(0), 3), backend: round(pct(1), 3), generator: round(pct(2), 3), other: round(Math.max(0, machine - ours), 3), steal: round(steal, 3) };
}

export async function connectAll(gens: Generators, target: Target, conns: number, concurrency: number, connectVia?: ConnectVia): Promise<ConnectReply> {
  // A TLS listener's clients trust the run's certificate (the -tls targets).
  const via = target.ca ? { ca: target.ca, ...connectVia } : connectVia;
  const replies = await gens.all<ConnectReply>((i) => ({
    cmd: 'connect',
    urls: target.urls,
    conns: gens.share(conns, i),
    concurrency,
    ...(via ? { via } : {}),
    ...(target.clientHeaders ? { headers: target.clientHeaders } : {}),
  }));
  return {
    opened: replies.reduce((s, r) => s + r.opened, 0),
    failed: replies.reduce((s, r) => s + r.failed, 0),
    ms: Math.max(...replies.map((r) => r.ms)),
    errors: mergeErrors(replies.map((r) => r.errors)),
  };
}

export async function releaseAll(gens: Generators): Promise<void> {
  await gens.all(() => ({ cmd: 'release' }));
}

export interface ThroughputConfig {
  conns: number;
  size: number;
  inflight: number;
  warmupMs: number;
  durationMs: number;
}

export interface ThroughputSample {
  msgsPerSecond: number;
  opened: number;
  cpu: CpuShare;
  /** Proxy CPU time per echoed message, microseconds (each message crosses the proxy twice). */
  proxyCpuUsPerMsg: number;
  errors: Record<string, number>;
}

/** `via`: how the connections are opened (RFC 8441 streams of HTTP/2 sessions for the ws-h2 scenario). */
export async function runThroughput(gens: Generators, target: Target, backends: Backends, cfg: ThroughputConfig, via?: ConnectVia): Promise<ThroughputSample> {
  const conn = await connectAll(gens, target, cfg.conns, 50, via);
  await waitQuiet();
  const replies = gens.all<ThroughputReply>(() => ({
    cmd: 'throughput',
    size: cfg.size,
    inflight: cfg.inflight,
    warmupMs: cfg.warmupMs,
    durationMs: cfg.durationMs,
  }));
  await sleep(cfg.warmupMs);
  const c0 = cpuGroups(target, backends, gens);
  const t0 = performance.now();
  await sleep(cfg.durationMs);
  const c1 = cpuGroups(target, backends, gens);
  const seconds = (performance.now() - t0) / 1000;
  const done = await replies;
  await releaseAll(gens);
  const msgsPerSecond = done.reduce((s, r) => s + r.messages / r.seconds, 0);
  const cpu = cpuShare(c0, c1, seconds);
  return {
    msgsPerSecond: round(msgsPerSecond),
    opened: conn.opened,
    cpu,
    proxyCpuUsPerMsg: target.pids().length ? round(((cpu.proxy / 100) * 1e6) / msgsPerSecond, 3) : Number.NaN,
    errors: mergeErrors([conn.errors, ...done.map((r) => r.errors)]),
  };
}

export interface LatencyConfig {
  conns: number;
  size: number;
  /** Total offered rate, messages per second, over every connection. */
  rate: number;
  warmupMs: number;
  durationMs: number;
}

export interface LatencySample {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  count: number;
  lost: number;
  /** Worst lag of the sender behind its schedule (generator check), ms. */
  maxSendLagMs: number;
  cpu: CpuShare;
  errors: Record<string, number>;
  /** Sorted round trips (ms); kept in memory to merge rounds, not written to the JSON. */
  samples: Float64Array;
}

export async function runLatency(gens: Generators, target: Target, backends: Backends, cfg: LatencyConfig): Promise<LatencySample> {
  const conn = await connectAll(gens, target, cfg.conns, 50);
  await waitQuiet();
  const c0 = cpuGroups(target, backends, gens);
  const t0 = performance.now();
  const done = await gens.all<LatencyReply>((i) => ({
    cmd: 'latency',
    size: cfg.size,
    rate: cfg.rate / gens.size,
    warmupMs: cfg.warmupMs,
    durationMs: cfg.durationMs,
  }));
  const c1 = cpuGroups(target, backends, gens);
  const seconds = (performance.now() - t0) / 1000;
  await releaseAll(gens);
  const samples = mergeSorted(done.map((r) => r.samples));
  return {
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    p999Ms: round(percentile(samples, 99.9)),
    maxMs: round(samples.length ? samples[samples.length - 1]! : Number.NaN),
    count: samples.length,
    lost: done.reduce((s, r) => s + r.lost, 0),
    maxSendLagMs: round(Math.max(...done.map((r) => r.maxLagMs))),
    cpu: cpuShare(c0, c1, seconds),
    errors: mergeErrors([conn.errors, ...done.map((r) => r.errors)]),
    samples,
  };
}

export function mergeSorted(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.sort();
}

export interface UpgradesConfig {
  /** Connect+close loops running at once, over all generators. */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

export interface UpgradesSample {
  upgradesPerSecond: number;
  cpu: CpuShare;
  proxyCpuUsPerUpgrade: number;
  errors: Record<string, number>;
}

export async function runUpgrades(gens: Generators, target: Target, backends: Backends, cfg: UpgradesConfig): Promise<UpgradesSample> {
  await waitQuiet();
  const replies = gens.all<UpgradesReply>((i) => ({
    cmd: 'upgrades',
    urls: target.urls,
    concurrency: gens.share(cfg.concurrency, i),
    warmupMs: cfg.warmupMs,
    durationMs: cfg.durationMs,
    ...(target.clientHeaders ? { headers: target.clientHeaders } : {}),
  }));
  await sleep(cfg.warmupMs);
  const c0 = cpuGroups(target, backends, gens);
  const t0 = performance.now();
  await sleep(cfg.durationMs);
  const c1 = cpuGroups(target, backends, gens);
  const seconds = (performance.now() - t0) / 1000;
  const done = await replies;
  const rate = done.reduce((s, r) => s + r.handshakes / r.seconds, 0);
  const cpu = cpuShare(c0, c1, seconds);
  return {
    upgradesPerSecond: round(rate),
    cpu,
    proxyCpuUsPerUpgrade: target.pids().length ? round(((cpu.proxy / 100) * 1e6) / rate, 3) : Number.NaN,
    errors: mergeErrors(done.map((r) => r.errors)),
  };
}

export interface StormConfig {
  /** Clients that reconnect at once, over all generators. */
  clients: number;
  /** How many of them dial at a time, over all generators. */
  concurrency: number;
}

export interface StormSample extends StormFigures {
  cpu: CpuShare;
  errors: Record<string, number>;
}

/**
 * A reconnect storm: `clients` connect at once, `concurrency` dialing at a time, and stay
 * connected until the window closes (so each upgrade's backend connection is held too, as in a
 * real storm). The window runs from the first dial to the last handshake; then all are released.
 */
export async function runStorm(gens: Generators, target: Target, backends: Backends, cfg: StormConfig): Promise<StormSample> {
  await waitQuiet();
  const c0 = cpuGroups(target, backends, gens);
  const t0 = performance.now();
  const replies = await gens.all<ConnectReply>((i) => ({
    cmd: 'connect',
    urls: target.urls,
    conns: gens.share(cfg.clients, i),
    concurrency: gens.share(cfg.concurrency, i),
    timings: true,
    ...(target.clientHeaders ? { headers: target.clientHeaders } : {}),
  }));
  const c1 = cpuGroups(target, backends, gens);
  const seconds = (performance.now() - t0) / 1000;
  await releaseAll(gens);
  // Lets the proxy finish closing before the next target's window.
  await sleep(300);
  const parts: StormPart[] = replies.map((r) => ({ opened: r.opened, failed: r.failed, ms: r.ms, handshakeMs: r.handshakeMs ?? new Float64Array(0) }));
  const proxyCpu = target.pids().length ? c1.groups[0] - c0.groups[0] : undefined;
  return {
    ...stormFigures(cfg.clients, parts, proxyCpu),
    cpu: cpuShare(c0, c1, seconds),
    errors: mergeErrors(replies.map((r) => r.errors)),
  };
}

export interface MemoryConfig {
  conns: number;
  /** Wait after the last connection opened before reading RSS. */
  settleMs: number;
}

export interface MemorySample {
  held: number;
  rssIdleBytes: number;
  rssHeldBytes: number;
  bytesPerConnection: number;
  /** RSS with the first half of the connections held (the capacity row's second point). */
  halfHeld: number;
  rssHalfBytes: number;
  /** Idle connections within 1 GiB of RSS, extrapolated from the half and full counts (lib/capacity.ts). */
  capacityConnections?: number;
  marginalBytesPerConnection?: number;
  /** wsgate: JS heap in use (after a full GC) per held connection, and the rest of the RSS growth. */
  heapBytesPerConnection?: number;
  nativeBytesPerConnection?: number;
  connectMs: number;
  errors: Record<string, number>;
}

export async function runMemory(gens: Generators, target: Target, cfg: MemoryConfig): Promise<MemorySample> {
  const rss = () => target.pids().reduce((s, p) => s + rssBytes(p), 0);
  // Warm the code paths (and nginx's/HAProxy's pools) with a few connections first.
  await connectAll(gens, target, 100, 20);
  await releaseAll(gens);
  await sleep(cfg.settleMs / 2);
  // The heap after a GC (wsgate only) is read before the idle RSS and after the held RSS: the
  // GCs never lower the RSS growth counted per connection.
  const heapIdle = await target.heapUsed?.();
  const idle = rss();
  // In two halves: the RSS at both counts gives the slope the capacity row extrapolates with.
  const first = await connectAll(gens, target, Math.floor(cfg.conns / 2), 100);
  await sleep(cfg.settleMs);
  const half = rss();
  const conn = await connectAll(gens, target, cfg.conns - Math.floor(cfg.conns / 2), 100);
  await sleep(cfg.settleMs);
  const held = rss();
  const heapHeld = await target.heapUsed?.();
  await releaseAll(gens);
  await sleep(300);
  const n = Math.max(1, conn.opened);
  const bytesPerConnection = round((held - idle) / n);
  // The generators' `opened` counts every connection they hold, both halves.
  const capacity = capacityWithin(RSS_BUDGET_BYTES, { held: first.opened, rssBytes: half }, { held: conn.opened, rssBytes: held });
  const heapPer = heapIdle !== undefined && heapHeld !== undefined ? round((heapHeld - heapIdle) / n) : undefined;
  return {
    held: conn.opened,
    rssIdleBytes: idle,
    rssHeldBytes: held,
    bytesPerConnection,
    halfHeld: first.opened,
    rssHalfBytes: half,
    ...(capacity ? { capacityConnections: capacity.connections, marginalBytesPerConnection: capacity.marginalBytesPerConnection } : {}),
    ...(heapPer !== undefined ? { heapBytesPerConnection: heapPer, nativeBytesPerConnection: round(bytesPerConnection - heapPer) } : {}),
    connectMs: round(first.ms + conn.ms),
    errors: mergeErrors([first.errors, conn.errors]),
  };
}
