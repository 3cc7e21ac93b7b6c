// The reconnect-storm scenario's arithmetic (pure; bench/scenarios.ts runs the storm): after a
// deploy, a node loss or a network blip every client of a backend reconnects at once. The
// generators dial N clients with a bounded number dialing at a time and hold them; from their
// replies and the proxy's CPU over the window come the figures of one round, and from the rounds
// the figures of the report.

import { median, percentile, ratio, round } from './stats.js';

/** What one generator reports for its share of the storm (ConnectReply with timings). */
export interface StormPart {
  opened: number;
  failed: number;
  /** From its first dial until its last handshake settled, ms. */
  ms: number;
  /** Each opened connection's handshake (dial to open), ms, ascending. */
  handshakeMs: Float64Array;
}

/** One round's storm through one target. */
export interface StormFigures {
  clients: number;
  opened: number;
  failed: number;
  /** Until the last handshake settled, opened or failed (the slowest generator), ms. */
  allConnectedMs: number;
  handshakeP50Ms: number;
  handshakeP99Ms: number;
  handshakeMaxMs: number;
  /** The proxy's CPU (user + system) over the storm divided by the upgrades it completed; NaN without a proxy. */
  proxyCpuUsPerUpgrade: number;
}

/**
 * One round's figures. `proxyCpuSeconds` is the proxy's CPU over the window, undefined for the
 * direct connection (no proxy). The percentiles are over every opened connection of every
 * generator; failed ones have no handshake time and are counted apart.
 */
export function stormFigures(clients: number, parts: readonly StormPart[], proxyCpuSeconds: number | undefined): StormFigures {
  const all = new Float64Array(parts.reduce((s, p) => s + p.handshakeMs.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p.handshakeMs, o);
    o += p.handshakeMs.length;
  }
  all.sort();
  const opened = parts.reduce((s, p) => s + p.opened, 0);
  return {
    clients,
    opened,
    failed: parts.reduce((s, p) => s + p.failed, 0),
    allConnectedMs: round(Math.max(...parts.map((p) => p.ms))),
    handshakeP50Ms: round(percentile(all, 50)),
    handshakeP99Ms: round(percentile(all, 99)),
    handshakeMaxMs: round(all.length ? all[all.length - 1]! : Number.NaN),
    proxyCpuUsPerUpgrade: proxyCpuSeconds === undefined || opened === 0 ? Number.NaN : round((proxyCpuSeconds * 1e6) / opened),
  };
}

/** A target's `storm` block in the JSON: medians over rounds; failures summed over every round. */
export interface StormSummary {
  clients: number;
  allConnectedMs: number;
  handshakeP50Ms: number;
  handshakeP99Ms: number;
  /** Failed handshakes in all rounds together (a storm should have none). */
  failedHandshakes: number;
  proxyCpuUsPerUpgrade: number;
}

export function stormSummary(rounds: readonly StormFigures[]): StormSummary {
  if (rounds.length === 0) throw new Error('stormSummary: no rounds');
  const med = (k: keyof StormFigures) => round(median(rounds.map((r) => r[k])));
  return {
    clients: rounds[0]!.clients,
    allConnectedMs: med('allConnectedMs'),
    handshakeP50Ms: med('handshakeP50Ms'),
    handshakeP99Ms: med('handshakeP99Ms'),
    failedHandshakes: rounds.reduce((s, r) => s + r.failed, 0),
    proxyCpuUsPerUpgrade: med('proxyCpuUsPerUpgrade'),
  };
}

/** `a` against `b` in the storm (lower is better for all three); NaN where either was not run. */
export function stormRatios(storm: Readonly<Record<string, StormSummary>>, a: string, b: string): { allConnected: number; handshakeP99: number; proxyCpuPerUpgrade: number } {
  const x = storm[a];
  const y = storm[b];
  const r = (k: keyof StormSummary) => (x && y ? ratio(x[k], y[k]) : Number.NaN);
  return { allConnected: r('allConnectedMs'), handshakeP99: r('handshakeP99Ms'), proxyCpuPerUpgrade: r('proxyCpuUsPerUpgrade') };
}

/**
 * The pairs the report compares, each wsgate build with its peers of the same event-loop count:
 * one loop against nginx, HAProxy, Caddy and the bare Node relay; two against the -2 targets.
 */
export const STORM_COMPARISONS: ReadonlyArray<readonly [key: string, a: string, b: string]> = [
  ['wsgateVsNginx', 'wsgate', 'nginx'],
  ['wsgateVsHaproxy', 'wsgate', 'haproxy'],
  ['wsgateVsCaddy', 'wsgate', 'caddy'],
  ['wsgateVsNodeRelay', 'wsgate', 'node-relay'],
  ['wsgate2VsNginx2', 'wsgate-2', 'nginx-2'],
  ['wsgate2VsHaproxy2', 'wsgate-2', 'haproxy-2'],
  ['wsgate2VsCaddy2', 'wsgate-2', 'caddy-2'],
];

/** Every comparison whose two targets both ran, keyed as in STORM_COMPARISONS. */
export function stormComparisons(storm: Readonly<Record<string, StormSummary>>): Record<string, ReturnType<typeof stormRatios>> {
  const out: Record<string, ReturnType<typeof stormRatios>> = {};
  for (const [key, a, b] of STORM_COMPARISONS) if (storm[a] && storm[b]) out[key] = stormRatios(storm, a, b);
  return out;
}
