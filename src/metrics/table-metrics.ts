import type { Logger } from 'pino';
import type { CompileOutput } from '../routing/compile.js';
import type { RouteStatusResult } from '../routing/types.js';
import type { RoutingTable } from '../routing/table.js';
import type { Metrics } from './registry.js';

const STATES = ['ready', 'terminating', 'not_ready'] as const;

/**
 * Refreshes the table-shaped gauges after a swap; removes series of routes that are gone.
 * With `previous` (the table recorded last), routes that are the same objects in both tables
 * keep their series as they are: a swap after one EndpointSlice change touches that
 * Service's routes only.
 */
export function recordTable(metrics: Metrics, table: RoutingTable, statuses: Map<string, RouteStatusResult>, previous?: RoutingTable): void {
  let accepted = 0;
  for (const s of statuses.values()) if (s.accepted.status === 'True') accepted++;
  metrics.routes.set({ state: 'accepted' }, accepted);
  metrics.routes.set({ state: 'rejected' }, statuses.size - accepted);
  if (!previous) metrics.endpoints.reset();
  else {
    for (const r of previous.routes) {
      if (table.get(r.key)) continue;
      for (const state of STATES) metrics.endpoints.remove({ namespace: r.namespace, route: r.name, state });
    }
  }
  for (const r of table.routes) {
    if (previous && previous.get(r.key) === r) continue;
    const labels = { namespace: r.namespace, route: r.name };
    const terminating = r.backend.endpoints.filter((e) => e.terminating).length;
    metrics.endpoints.set({ ...labels, state: 'ready' }, r.backend.eligible.length);
    metrics.endpoints.set({ ...labels, state: 'terminating' }, terminating);
    metrics.endpoints.set({ ...labels, state: 'not_ready' }, r.backend.endpoints.length - r.backend.eligible.length - terminating);
  }
  recordCertificates(metrics, table);
  metrics.tableLastUpdate.set(Date.now() / 1000);
}

/** One series per Secret serving a certificate in this table (routes and Gateway listeners). */
function recordCertificates(metrics: Metrics, table: RoutingTable): void {
  const expiry = new Map<string, number>();
  for (const r of table.routes) if (r.tls) expiry.set(r.tls.secret, r.tls.notAfter);
  for (const l of table.listeners) for (const c of l.certificates) expiry.set(c.tls.secret, c.tls.notAfter);
  metrics.certificateExpiry.reset();
  for (const [secret, notAfter] of expiry) metrics.certificateExpiry.set({ secret }, notAfter);
}

/** After a swap (a proxy's or a control plane's): table metrics, a warning per refused route, one log line. */
export function reportTable(metrics: Metrics, log: Logger, out: CompileOutput, previous: CompileOutput | undefined): void {
  metrics.configReloads.inc({ result: 'success' });
  recordTable(metrics, out.table, out.statuses, previous?.table);
  for (const s of out.statuses.values()) {
    if (s.accepted.status !== 'True') log.warn({ route: s.key, reason: s.accepted.reason }, `route not accepted: ${s.accepted.message}`);
  }
  log.info({ version: out.table.version, routes: out.table.routes.length }, 'routing table updated');
}
