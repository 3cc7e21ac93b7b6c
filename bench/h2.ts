// The HTTP/2 scenarios (issue 25), run on the `-tls` targets (a TLS listener offering h2 and
// http/1.1 by ALPN) in the same rounds as the others:
//
//   requests  plain GETs through the proxy to the echo backends' HTTP answer, driven by h2load:
//             over h2 (several streams per connection) and over HTTP/1.1 (`--h1`, one request
//             in flight per connection), the same number of requests in flight both ways
//   ws-h2     the echo scenario's closed loop over WebSockets that are extended CONNECT streams
//             (RFC 8441, several per h2 connection) and over WebSockets on HTTP/1.1 (wss://) on
//             the same listener: what a message costs the proxy on each
//
// Each returns one sample (a plain object that goes into the JSON as is).

import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Generators } from './generators.js';
import type { WebSocketTransport } from './lib/h2-summary.js';
import { h2loadArgs, parseH2load, type H2LoadSummary, type RequestProtocol } from './lib/h2load.js';
import { sleep } from './lib/net.js';
import { round } from './lib/stats.js';
import { cpuGroups, cpuShare, runThroughput, waitQuiet, type CpuShare, type ThroughputConfig, type ThroughputSample } from './scenarios.js';
import type { Backends, Target } from './targets.js';

export interface RequestConfig {
  protocol: RequestProtocol;
  connections: number;
  streamsPerConnection: number;
  warmupMs: number;
  durationMs: number;
}

export interface RequestSample {
  requestsPerSecond: number;
  /** Time per request, sent to last byte (h2load prints mean and sd, no percentiles), ms. */
  requestMeanMs: number;
  requestSdMs: number;
  succeeded: number;
  /** Requests that failed or were answered other than 2xx. */
  failed: number;
  cpu: CpuShare;
  proxyCpuUsPerRequest: number;
  errors: Record<string, number>;
}

/** The ALPN protocol h2load must have got for the row to mean what it says. */
const ALPN: Record<RequestProtocol, string> = { h2: 'h2', h1: 'http/1.1' };

/**
 * A margin at both ends of h2load's main duration: the CPU window stays inside it (h2load starts
 * its clock after its own connects and exits at the end), so proxy CPU and h2load's rate are
 * rates over the same traffic.
 */
const WINDOW_MARGIN_MS = 200;

/**
 * How long past its warm-up and duration h2load may run. In a timed run h2load starts its clock
 * only once every client has connected: when some never do (seen with 100 HTTP/1.1 clients on a
 * machine with a load average above 20), it sends on the others without end.
 */
const H2LOAD_GRACE_MS = 30_000;

/** h2load's stdout, or undefined when it had to be killed after `limitMs`. */
export function runH2load(args: string[], limitMs: number): { pid: number; done: Promise<string | undefined> } {
  const child = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, limitMs);
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string | undefined>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (killed) resolve(undefined);
      else if (code === 0) resolve(out);
      else reject(new Error(`h2load exited with ${code}:\n${err}${out.slice(-2000)}`));
    });
  });
  return { pid: child.pid ?? 0, done };
}

/** Throws when the proxy answered with another protocol than asked (an h2 row over HTTP/1.1 would be a lie). */
export function checkProtocol(summary: H2LoadSummary, protocol: RequestProtocol, target: string): void {
  if (summary.applicationProtocol !== ALPN[protocol]) {
    throw new Error(`${target}: h2load asked for ${ALPN[protocol]} and got ${summary.applicationProtocol ?? 'no ALPN protocol'}`);
  }
}

export async function runRequests(gens: Generators, target: Target, backends: Backends, cfg: RequestConfig): Promise<RequestSample> {
  if (!target.h2) throw new Error(`${target.name} has no TLS listener with h2`);
  await waitQuiet();
  const run = runH2load(
    h2loadArgs({
      url: target.h2.requestUrl,
      protocol: cfg.protocol,
      connections: cfg.connections,
      streamsPerConnection: cfg.streamsPerConnection,
      length: { warmupMs: cfg.warmupMs, durationMs: cfg.durationMs },
    }),
    cfg.warmupMs + cfg.durationMs + H2LOAD_GRACE_MS,
  );
  const windowMs = cfg.durationMs - 2 * WINDOW_MARGIN_MS;
  if (windowMs <= 0) throw new Error(`request scenario: ${cfg.durationMs} ms is too short for a CPU window`);
  await sleep(cfg.warmupMs + WINDOW_MARGIN_MS);
  const c0 = cpuGroups(target, backends, gens, [run.pid]);
  const t0 = performance.now();
  await sleep(windowMs);
  const c1 = cpuGroups(target, backends, gens, [run.pid]);
  const seconds = (performance.now() - t0) / 1000;
  const out = await run.done;
  const cpu = cpuShare(c0, c1, seconds);
  if (out === undefined) {
    // No figures from this window (medians skip NaN); the JSON and the log say why.
    return { requestsPerSecond: Number.NaN, requestMeanMs: Number.NaN, requestSdMs: Number.NaN, succeeded: 0, failed: 0, cpu, proxyCpuUsPerRequest: Number.NaN, errors: { 'h2load killed: no summary (not every client connected)': 1 } };
  }
  const summary = parseH2load(out);
  checkProtocol(summary, cfg.protocol, target.name);
  const failed = summary.failed + summary.errored + summary.timeout + summary.status3xx + summary.status4xx + summary.status5xx;
  return {
    requestsPerSecond: round(summary.requestsPerSecond),
    requestMeanMs: round(summary.requestMs.mean),
    requestSdMs: round(summary.requestMs.sd),
    succeeded: summary.status2xx,
    failed,
    cpu,
    proxyCpuUsPerRequest: round(((cpu.proxy / 100) * 1e6) / summary.requestsPerSecond, 3),
    errors: failed ? { 'h2load: failed or not 2xx': failed } : {},
  };
}

/** The echo scenario's closed loop on WebSockets over `transport`; h2: `streamsPerSession` WebSockets per h2 connection. */
export function runWebSocketEcho(
  gens: Generators,
  target: Target,
  backends: Backends,
  cfg: ThroughputConfig,
  transport: WebSocketTransport,
  streamsPerSession: number,
): Promise<ThroughputSample> {
  if (!target.h2?.webSocketsOverH2) throw new Error(`${target.name} takes no WebSockets over h2`);
  return runThroughput(gens, target, backends, cfg, transport === 'h2' ? { h2: { streamsPerSession } } : undefined);
}
