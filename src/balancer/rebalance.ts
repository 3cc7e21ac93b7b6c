// Pure: how many connections to shed from each endpoint of one route. An endpoint holding
// more than (1 + tolerance) times its fair share is brought back to its fair share (rounded
// up); the total is capped by the close budget, taken from the fullest endpoints first.
// planRouteRebalance is the one planner both loops use: the single-process pass
// (proxy/rebalance.ts) and the main thread's plan across --workers (workers/rebalance.ts).

import { DEFAULT_REBALANCE_MAX_CLOSES_PER_SECOND, DEFAULT_REBALANCE_TOLERANCE } from '../api/defaults.js';
import type { CompiledRoute } from '../routing/types.js';

/**
 * Whether a route rebalances: it asks to, and moving a client can help. Hashing and affinity
 * cookies pin a client to its endpoint: moving it would only bring it back, or (affinity) break
 * the session state the backend holds for it.
 */
export function rebalances(route: CompiledRoute): boolean {
  return route.spec.rebalance !== undefined && route.policy !== 'ConsistentHash' && !route.affinity && route.backend.eligible.length >= 2;
}

/** The closes for a route that rebalances, from its open connections per eligible endpoint. */
export function planRouteRebalance(route: CompiledRoute, counts: ReadonlyMap<string, number>): Map<string, number> {
  const rb = route.spec.rebalance ?? {};
  return planRebalance(counts, rb.tolerance ?? DEFAULT_REBALANCE_TOLERANCE, rb.maxClosesPerSecond ?? DEFAULT_REBALANCE_MAX_CLOSES_PER_SECOND);
}

export function planRebalance(
  counts: ReadonlyMap<string, number>,
  tolerance: number,
  budget: number,
): Map<string, number> {
  const plan = new Map<string, number>();
  const n = counts.size;
  if (n < 2 || budget <= 0) return plan;
  let total = 0;
  for (const c of counts.values()) total += c;
  const fair = total / n;
  const target = Math.ceil(fair);
  const excess: Array<[string, number]> = [];
  for (const [id, c] of counts) {
    if (c > fair * (1 + tolerance) && c > target) excess.push([id, c - target]);
  }
  // Spend the budget one close at a time on whichever endpoint is currently fullest.
  const current = new Map(excess.map(([id]) => [id, counts.get(id)!]));
  let left = budget;
  while (left > 0) {
    let best: string | undefined;
    for (const [id, want] of excess) {
      if ((plan.get(id) ?? 0) >= want) continue;
      if (best === undefined || current.get(id)! > current.get(best)!) best = id;
    }
    if (best === undefined) break;
    plan.set(best, (plan.get(best) ?? 0) + 1);
    current.set(best, current.get(best)! - 1);
    left--;
  }
  return plan;
}
