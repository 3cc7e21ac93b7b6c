// Endpoint choice per policy. Pure apart from the round-robin cursor and the random source,
// both passed in so tests can drive them.

import type { CompiledRoute, Endpoint } from '../routing/types.js';
import { ringFor } from './hash-ring.js';
import type { EndpointLoad } from './load.js';

export interface PickContext {
  load: EndpointLoad;
  /** Ids to skip: endpoints that already failed for this upgrade. */
  exclude: ReadonlySet<string>;
  /** Passively ejected endpoints; ignored when every candidate is ejected (better than none). */
  isEjected?: (id: string) => boolean;
  /** Increments per pick of a route; gives round-robin order and fair tie-breaking. */
  cursor: number;
  random: () => number;
  /** ConsistentHash key of the request; without one the route uses LeastConnections. */
  hashKey?: string;
}

export function pickEndpoint(route: CompiledRoute, ctx: PickContext): Endpoint | undefined {
  const all = route.backend.eligible;
  if (route.policy === 'ConsistentHash' && ctx.hashKey !== undefined) {
    // The ring covers every eligible endpoint so keys stay put when others fail or return.
    const skipEjected = hasHealthy(all, ctx);
    return ringFor(all).lookup(ctx.hashKey, (e) => ctx.exclude.has(e.id) || (skipEjected && ctx.isEjected!(e.id)));
  }
  let candidates = ctx.exclude.size ? all.filter((e) => !ctx.exclude.has(e.id)) : all;
  if (ctx.isEjected && candidates.some((e) => ctx.isEjected!(e.id))) {
    const healthy = candidates.filter((e) => !ctx.isEjected!(e.id));
    if (healthy.length > 0) candidates = healthy;
  }
  const n = candidates.length;
  if (n === 0) return undefined;
  if (n === 1) return candidates[0];
  switch (route.policy) {
    case 'RoundRobin':
      return candidates[ctx.cursor % n];
    case 'PowerOfTwoChoices': {
      const i = Math.floor(ctx.random() * n);
      const j = (i + 1 + Math.floor(ctx.random() * (n - 1))) % n;
      const a = candidates[i]!;
      const b = candidates[j]!;
      return ctx.load.get(b.id) < ctx.load.get(a.id) ? b : a;
    }
    default:
      return leastConnections(candidates, ctx);
  }
}

function hasHealthy(all: readonly Endpoint[], ctx: PickContext): boolean {
  if (!ctx.isEjected) return false;
  return all.some((e) => !ctx.exclude.has(e.id) && !ctx.isEjected!(e.id));
}

/** Fewest active connections; among equals, rotate the starting point so ties spread evenly. */
function leastConnections(candidates: readonly Endpoint[], ctx: PickContext): Endpoint {
  const n = candidates.length;
  const start = ctx.cursor % n;
  let best = candidates[start]!;
  let bestLoad = ctx.load.get(best.id);
  for (let k = 1; k < n; k++) {
    const e = candidates[(start + k) % n]!;
    const l = ctx.load.get(e.id);
    if (l < bestLoad) {
      best = e;
      bestLoad = l;
    }
  }
  return best;
}
