import type { Logger } from 'pino';
import type { ProxiedConnection } from '../proxy/connections.js';
import type { ProxyObserver, UpgradeResult } from '../proxy/observer.js';
import type { CompiledRoute } from '../routing/types.js';
import type { Metrics } from './registry.js';

/** Turns data-plane lifecycle events into metrics and one access-log line per closed connection. */
export function metricsObserver(metrics: Metrics, log: Logger): ProxyObserver {
  return {
    upgrade(route: CompiledRoute | null, result: UpgradeResult, seconds: number) {
      const labels = { namespace: route?.namespace ?? '', route: route?.name ?? '' };
      metrics.upgrades.inc({ ...labels, result });
      metrics.upgradeDuration.observe(labels, seconds);
    },
    opened(conn: ProxiedConnection) {
      metrics.connectionsActive.inc(routeLabels(conn.routeKey));
    },
    closed(conn: ProxiedConnection) {
      const labels = routeLabels(conn.routeKey);
      const seconds = (Date.now() - conn.startedAt) / 1000;
      metrics.connectionsActive.dec(labels);
      metrics.connectionDuration.observe(labels, seconds);
      // Socket counters are read once at close: nothing is counted per message.
      const upstream = conn.backend.bytesWritten;
      const downstream = conn.backend.bytesRead;
      metrics.bytes.inc({ ...labels, direction: 'upstream' }, upstream);
      metrics.bytes.inc({ ...labels, direction: 'downstream' }, downstream);
      log.info(
        { route: conn.routeKey, endpoint: conn.endpointId, durationSeconds: seconds, bytesUpstream: upstream, bytesDownstream: downstream },
        'connection closed',
      );
    },
  };
}

function routeLabels(key: string): { namespace: string; route: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), route: key.slice(slash + 1) };
}
