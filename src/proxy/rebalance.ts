// The connection side of rebalancing: a route's open connections per eligible endpoint (not
// closing, not draining), and closing the oldest ones a plan names with 1012 so their clients
// reconnect elsewhere. The plan itself is balancer/rebalance.ts's; in one process
// rebalanceOnce runs both once a second, with --workers each worker counts and closes with these
// and the main thread plans on the sum (workers/rebalance.ts).

import { planRouteRebalance, rebalances } from '../balancer/rebalance.js';
import type { RoutingTable } from '../routing/table.js';
import type { CompiledRoute } from '../routing/types.js';
import type { ConnectionRegistry } from './connections.js';

/** Open connections per eligible endpoint of `route`, in the order of its eligible endpoints. */
export function openPerEndpoint(connections: ConnectionRegistry, route: CompiledRoute): Map<string, number> {
  const counts = new Map(route.backend.eligible.map((e) => [e.id, 0]));
  for (const c of connections.ofRoute(route.key)) {
    if (c.closing || c.isDraining()) continue;
    const n = counts.get(c.endpointId);
    if (n !== undefined) counts.set(c.endpointId, n + 1);
  }
  return counts;
}

/** Closes the oldest open connections of a route, as many per endpoint as `closes` says; returns how many. */
export function closeOldest(connections: ConnectionRegistry, routeKey: string, closes: ReadonlyMap<string, number>): number {
  const left = new Map(closes);
  let closed = 0;
  for (const c of connections.ofRoute(routeKey)) {
    const n = left.get(c.endpointId);
    if (!n || c.closing || c.isDraining()) continue;
    left.set(c.endpointId, n - 1);
    c.close('rebalance');
    closed++;
  }
  return closed;
}

/**
 * One rebalancing pass over every route with `spec.rebalance`: counts the connections per
 * eligible endpoint and closes the oldest ones on over-full endpoints with 1012, within the
 * route's closes-per-second budget (the pass runs once a second).
 */
export function rebalanceOnce(connections: ConnectionRegistry, table: RoutingTable): number {
  let closed = 0;
  for (const route of table.routes) {
    if (!rebalances(route)) continue;
    const plan = planRouteRebalance(route, openPerEndpoint(connections, route));
    if (plan.size > 0) closed += closeOldest(connections, route.key, plan);
  }
  return closed;
}
