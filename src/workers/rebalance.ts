// Rebalancing with --workers N: each worker holds only its own connections, so a per-worker
// pass would see the wrong fair share. The main thread asks every worker for its open
// connections per route and endpoint (as rebalanceOnce counts them: not closing, not draining),
// plans on the sum with the same planRebalance, and splits each endpoint's closes among the
// workers in proportion to what they hold there; each worker closes its oldest with 1012.

import { planRebalance } from '../balancer/rebalance.js';
import type { ConnectionRegistry } from '../proxy/connections.js';
import type { RoutingTable } from '../routing/table.js';
import type { CompiledRoute } from '../routing/types.js';

/** routeKey -> endpointId -> connections (or closes). */
export type RouteEndpointCounts = Record<string, Record<string, number>>;

export function rebalances(route: CompiledRoute): boolean {
  return route.spec.rebalance !== undefined && route.policy !== 'ConsistentHash' && !route.affinity && route.backend.eligible.length >= 2;
}

/** Worker side: its connections per eligible endpoint of every route that rebalances. */
export function countForRebalance(connections: ConnectionRegistry, table: RoutingTable): RouteEndpointCounts {
  const out: RouteEndpointCounts = {};
  for (const route of table.routes) {
    if (!rebalances(route)) continue;
    const counts: Record<string, number> = {};
    for (const e of route.backend.eligible) counts[e.id] = 0;
    for (const c of connections.ofRoute(route.key)) {
      if (c.closing || c.isDraining()) continue;
      if (counts[c.endpointId] !== undefined) counts[c.endpointId]!++;
    }
    out[route.key] = counts;
  }
  return out;
}

/** Main side: one plan over every worker's counts, as closes per worker (same order as `perWorker`). */
export function planAcrossWorkers(table: RoutingTable, perWorker: readonly RouteEndpointCounts[]): RouteEndpointCounts[] {
  const plans: RouteEndpointCounts[] = perWorker.map(() => ({}));
  for (const route of table.routes) {
    if (!rebalances(route)) continue;
    const rb = route.spec.rebalance!;
    const total = new Map(route.backend.eligible.map((e) => [e.id, 0]));
    for (const w of perWorker) for (const [id, n] of Object.entries(w[route.key] ?? {})) if (total.has(id)) total.set(id, total.get(id)! + n);
    const plan = planRebalance(total, rb.tolerance ?? 0.2, rb.maxClosesPerSecond ?? 5);
    for (const [id, closes] of plan) {
      const held = perWorker.map((w) => w[route.key]?.[id] ?? 0);
      for (const [i, n] of split(closes, held).entries()) {
        if (n === 0) continue;
        (plans[i]![route.key] ??= {})[id] = n;
      }
    }
  }
  return plans;
}

/** `k` closes over holders in proportion to what each holds (largest remainders first), never more than held. */
export function split(k: number, held: readonly number[]): number[] {
  const total = held.reduce((a, b) => a + b, 0);
  if (total === 0) return held.map(() => 0);
  const want = Math.min(k, total);
  const out = held.map((h) => Math.floor((want * h) / total));
  let left = want - out.reduce((a, b) => a + b, 0);
  const order = held.map((h, i) => ({ i, rem: (want * h) / total - out[i]! })).sort((a, b) => b.rem - a.rem || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    if (out[i]! < held[i]!) {
      out[i]!++;
      left--;
    }
  }
  return out;
}

/** Worker side: closes the oldest connections the plan names, with 1012. */
export function applyRebalance(connections: ConnectionRegistry, plan: RouteEndpointCounts): number {
  let closed = 0;
  for (const [routeKey, perEndpoint] of Object.entries(plan)) {
    const left = new Map(Object.entries(perEndpoint));
    for (const c of connections.ofRoute(routeKey)) {
      const n = left.get(c.endpointId);
      if (!n || c.closing || c.isDraining()) continue;
      left.set(c.endpointId, n - 1);
      c.close('rebalance');
      closed++;
    }
  }
  return closed;
}
