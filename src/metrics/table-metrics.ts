import type { RouteStatusResult } from '../routing/types.js';
import type { RoutingTable } from '../routing/table.js';
import type { Metrics } from './registry.js';

/** Refreshes the table-shaped gauges after a swap; removes series of routes that are gone. */
export function recordTable(metrics: Metrics, table: RoutingTable, statuses: Map<string, RouteStatusResult>): void {
  let accepted = 0;
  for (const s of statuses.values()) if (s.accepted.status === 'True') accepted++;
  metrics.routes.set({ state: 'accepted' }, accepted);
  metrics.routes.set({ state: 'rejected' }, statuses.size - accepted);
  metrics.endpoints.reset();
  for (const r of table.routes) {
    const labels = { namespace: r.namespace, route: r.name };
    const terminating = r.backend.endpoints.filter((e) => e.terminating).length;
    metrics.endpoints.set({ ...labels, state: 'ready' }, r.backend.eligible.length);
    metrics.endpoints.set({ ...labels, state: 'terminating' }, terminating);
    metrics.endpoints.set({ ...labels, state: 'not_ready' }, r.backend.endpoints.length - r.backend.eligible.length - terminating);
  }
  metrics.tableLastUpdate.set(Date.now() / 1000);
}
