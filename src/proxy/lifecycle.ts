// What a table swap, a timer or SIGTERM does to established connections. Nothing here closes
// a connection whose route and endpoint are still in the table.

import { DEFAULT_DRAIN_TIMEOUT } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
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
