// Rebalancing with --workers N: each worker holds only its own connections, so a per-worker
// pass would see the wrong fair share. The main thread asks every worker for its open
// connections per route and endpoint (proxy/rebalance.ts's openPerEndpoint, as rebalanceOnce
// counts them), plans on the sum with the same planner, and splits each endpoint's closes among the
// workers in proportion to what they hold there; each worker closes its oldest with 1012.

import { planRouteRebalance, rebalances } from '../balancer/rebalance.js';
import type { ConnectionRegistry } from '../proxy/connections.js';
import { closeOldest, openPerEndpoint } from '../proxy/rebalance.js';
import type { RoutingTable } from '../routing/table.js';

/** routeKey -> endpointId -> connections (or closes). */
export type RouteEndpointCounts = Record<string, Record<string, number>>;

/** Worker side: its connections per eligible endpoint of every route that rebalances. */
export function countForRebalance(connections: ConnectionRegistry, table: RoutingTable): RouteEndpointCounts {
  const out: RouteEndpointCounts = {};
  for (const route of table.routes) if (rebalances(route)) out[route.key] = Object.fromEntries(openPerEndpoint(connections, route));
  return out;
}

/** Main side: one plan over every worker's counts, as closes per worker (same order as `perWorker`). */
export function planAcrossWorkers(table: RoutingTable, perWorker: readonly RouteEndpointCounts[]): RouteEndpointCounts[] {
  const plans: RouteEndpointCounts[] = perWorker.map(() => ({}));
  for (const route of table.routes) {
    if (!rebalances(route)) continue;
    const total = new Map(route.backend.eligible.map((e) => [e.id, 0]));
    for (const w of perWorker) for (const [id, n] of Object.entries(w[route.key] ?? {})) if (total.has(id)) total.set(id, total.get(id)! + n);
    const plan = planRouteRebalance(route, total);
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
  for (const [routeKey, perEndpoint] of Object.entries(plan)) closed += closeOldest(connections, routeKey, new Map(Object.entries(perEndpoint)));
  return closed;
}
