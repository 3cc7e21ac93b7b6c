import type { Logger } from 'pino';
import type { LiveConnection } from '../proxy/live-connection.js';
import type { AffinityResult } from '../pipeline/context.js';
import type { Protocol } from '../pipeline/responder.js';
import type { HttpRequestRecord, ProxyObserver, UpgradeResult } from '../proxy/observer.js';
import type { OverloadAction } from '../proxy/overload-gate.js';
import type { RetryReason } from '../proxy/exchange-outcome.js';
import { closeCodeLabel } from './close-codes.js';
import type { RoutingTable } from '../routing/table.js';
import type { CompiledRoute, Endpoint } from '../routing/types.js';
import { liveTraffic } from './live-traffic.js';
import { seriesKey, splitSeriesKey } from './open-connections.js';
import { routeLabels } from './route-labels.js';
import type { Metrics } from './registry.js';

export interface ObserverOptions {
  /** Per-endpoint series; switch off for very large fleets. */
  endpointMetrics: boolean;
}

/**
 * Turns data-plane lifecycle events into metrics and one access-log line per closed
 * connection. Everything here runs per connection, never per message.
 */
export function metricsObserver(
  metrics: Metrics,
  log: Logger,
  opts: ObserverOptions = { endpointMetrics: true },
): ProxyObserver & { pruneEndpointSeries(table: RoutingTable): void } {
  // Open connections per endpoint series, and the table whose endpoints keep series alive:
  // a series goes away once its endpoint left the table and its last connection closed.
  const open = metrics.openConnections;
  const perSeries = open.perSeries;
  let table: RoutingTable | undefined;
  // Endpoint ids per endpoint list: lists are kept across compiles while a Service does not
  // change, so a table swap costs nothing here for the routes it did not touch.
  const idsOf = new WeakMap<readonly Endpoint[], Set<string>>();
  const inTable = (routeKey: string, endpoint: string): boolean => {
    const list = table?.get(routeKey)?.backend.endpoints;
    if (!list) return false;
    let ids = idsOf.get(list);
    if (!ids) idsOf.set(list, (ids = new Set(list.map((e) => e.id))));
    return ids.has(endpoint);
  };
  const dropIfGone = (key: string) => {
    if ((perSeries.get(key) ?? 0) > 0) return;
    const [routeKey, endpoint] = splitSeriesKey(key);
    if (inTable(routeKey, endpoint)) return;
    // Its series goes with it at the next scrape (registry.ts: the gauge is set from the counts).
    perSeries.delete(key);
  };
  const live = liveTraffic(metrics);
  return {
    messageEvents: {
      limit(conn, limit) {
        metrics.messageLimits.inc({ ...routeLabels(conn.routeKey), limit });
      },
      ping(conn, result) {
        metrics.pings.inc({ ...routeLabels(conn.routeKey), result });
      },
    },
    pruneEndpointSeries(next: RoutingTable) {
      if (!opts.endpointMetrics) return;
      table = next;
      for (const key of [...perSeries.keys()]) dropIfGone(key);
    },
    upgrade(route: CompiledRoute | null, result: UpgradeResult, seconds: number, protocol: Protocol) {
      const labels = { namespace: route?.namespace ?? '', route: route?.name ?? '' };
      metrics.upgrades.inc({ ...labels, result, protocol });
      metrics.upgradeDuration.observe(labels, seconds);
    },
    opened(conn: LiveConnection) {
      open.add(conn.routeKey, 1);
      live.add(conn);
      if (opts.endpointMetrics) open.addToSeries(seriesKey(conn.routeKey, conn.endpointId), 1);
    },
    closed(conn: LiveConnection) {
      const labels = routeLabels(conn.routeKey);
      const seconds = (Date.now() - conn.startedAt) / 1000;
      const code = conn.closeCode();
      open.add(conn.routeKey, -1);
      if (opts.endpointMetrics) {
        const key = seriesKey(conn.routeKey, conn.endpointId);
        open.addToSeries(key, -1);
        dropIfGone(key);
      }
      metrics.connectionDuration.observe(labels, seconds);
      metrics.closes.inc({ ...labels, code: closeCodeLabel(code) });
      if (conn.closing) metrics.lifecycleCloses.inc({ ...labels, reason: conn.closing });
      live.remove(conn);
      const upstream = conn.backend.bytesWritten;
      const downstream = conn.backend.bytesRead;
      log.info(
        {
          route: conn.routeKey,
          endpoint: conn.endpointId,
          client: conn.clientAddress,
          clientCert: conn.clientCert,
          requestId: conn.requestId,
          protocol: conn.protocol,
          durationSeconds: seconds,
          bytesUpstream: upstream,
          bytesDownstream: downstream,
          closeCode: code,
          reason: conn.closedBy(),
        },
        'connection closed',
      );
    },
    ejected(route: CompiledRoute) {
      metrics.ejections.inc({ namespace: route.namespace, route: route.name });
    },
    httpRetry(route: CompiledRoute, reason: RetryReason) {
      metrics.httpRetries.inc({ namespace: route.namespace, route: route.name, reason });
    },
    httpRequest(r: HttpRequestRecord) {
      const labels = { namespace: r.route?.namespace ?? '', route: r.route?.name ?? '' };
      metrics.httpRequests.inc({ ...labels, method: METHODS.has(r.method) ? r.method : 'OTHER', code: String(r.status), protocol: r.protocol });
      metrics.httpRequestDuration.observe(labels, r.seconds);
      log.info(
        {
          route: r.route?.key,
          endpoint: r.endpointId,
          client: r.client,
          clientCert: r.clientCert,
          requestId: r.requestId,
          protocol: r.protocol,
          method: r.method,
          path: r.path,
          status: r.status,
          durationSeconds: r.seconds,
          bytesIn: r.bytesIn,
          bytesOut: r.bytesOut,
        },
        'http request',
      );
    },
    affinity(route: CompiledRoute, result: AffinityResult) {
      metrics.affinity.inc({ namespace: route.namespace, route: route.name, result });
    },
    overloadAction(action: OverloadAction, n = 1) {
      metrics.overloadActions.inc({ action }, n);
    },
    h2Session(change) {
      metrics.h2Sessions.inc(change);
    },
    h2Stream(kind, change) {
      metrics.h2Streams.inc({ kind }, change);
    },
  };
}

/** Method label values; anything else is OTHER, so a client cannot mint series. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);
