// What a table swap, a timer or SIGTERM does to established connections. Nothing here closes
// a connection whose route and endpoint are still in the table.

import { DEFAULT_DRAIN_TIMEOUT } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import { planRebalance } from '../balancer/rebalance.js';
import type { RoutingTable } from '../routing/table.js';
import type { ConnectionRegistry } from './connections.js';
import type { LiveConnection } from './live-connection.js';

/** For a connection whose route is in neither table (it was never there: a race at startup). */
const DEFAULT_DRAIN_MS = parseDuration(DEFAULT_DRAIN_TIMEOUT);

/**
 * After a swap: a connection whose endpoint left its route (removed, terminating, or the route
 * itself gone) drains for the route's drain timeout; one whose endpoint came back stops
 * draining. The old table gives the timeout of a route that no longer exists.
 */
export function applyDrain(connections: ConnectionRegistry, next: RoutingTable, previous: RoutingTable): void {
  for (const routeKey of connections.routeKeys()) {
    const route = next.get(routeKey);
    const live = new Set(route?.backend.endpoints.filter((e) => !e.terminating).map((e) => e.id));
    const drainMs = (route ?? previous.get(routeKey))?.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
    for (const conn of connections.ofRoute(routeKey)) {
      if (live.has(conn.endpointId)) {
        if (conn.isDraining()) conn.cancelDrain();
      } else {
        conn.startDrain(drainMs);
        connections.watch(drainMs);
      }
    }
  }
}

/** For a connection opened while its endpoint was leaving: drain it like the others. */
export function drainIfGone(conn: LiveConnection, table: RoutingTable, connections: ConnectionRegistry): void {
  const route = table.get(conn.routeKey);
  const endpoint = route?.backend.endpoints.find((e) => e.id === conn.endpointId);
  if (!route || !endpoint || endpoint.terminating) {
    const ms = route?.drainTimeoutMs ?? DEFAULT_DRAIN_MS;
    conn.startDrain(ms);
    connections.watch(ms);
  }
}

/**
 * One rebalancing pass over every route with `spec.rebalance`: counts the connections per
 * eligible endpoint and closes the oldest ones on over-full endpoints with 1012, within the
 * route's closes-per-second budget (the pass runs once a second).
 */
export function rebalanceOnce(connections: ConnectionRegistry, table: RoutingTable): number {
  let closed = 0;
  for (const route of table.routes) {
    const rb = route.spec.rebalance;
    // Hashing and affinity cookies pin a client to its endpoint: moving it would only bring it
    // back, or (affinity) break the session state the backend holds for it.
    if (!rb || route.policy === 'ConsistentHash' || route.affinity || route.backend.eligible.length < 2) continue;
    const conns = connections.ofRoute(route.key);
    const counts = new Map(route.backend.eligible.map((e) => [e.id, 0]));
    for (const c of conns) {
      if (c.closing || c.isDraining()) continue;
      const n = counts.get(c.endpointId);
      if (n !== undefined) counts.set(c.endpointId, n + 1);
    }
    const plan = planRebalance(counts, rb.tolerance ?? 0.2, rb.maxClosesPerSecond ?? 5);
    if (plan.size === 0) continue;
    for (const c of conns) {
      const left = plan.get(c.endpointId);
      if (!left || c.closing || c.isDraining()) continue;
      plan.set(c.endpointId, left - 1);
      c.close('rebalance');
      closed++;
    }
  }
  return closed;
}
