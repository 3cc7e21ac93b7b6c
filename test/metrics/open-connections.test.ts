// wsgate_connections_active and wsgate_backend_connections_active are counted per connection in
// plain Maps and set from them when scraped (src/metrics/open-connections.ts): a scrape sees
// every open and close before it, a route's series stays at 0, an endpoint series goes with its
// last connection once the endpoint is not in the table.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { metricsObserver } from '../../src/metrics/proxy-observer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { fakeLiveConnection } from '../helpers/fake-live-connection.js';

const connection = (routeKey: string, endpointId: string) => fakeLiveConnection(routeKey, endpointId);

const gaugeLines = async (metrics: Metrics) =>
  (await metrics.registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith('wsgate_connections_active{') || l.startsWith('wsgate_backend_connections_active{'))
    .sort();

test('open-connection gauges: each scrape reports the connections open at that moment', async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const observer = metricsObserver(metrics, pino({ level: 'silent' }));
  const conns = [connection('default/chat', 'e1'), connection('default/chat', 'e1'), connection('default/chat', 'e2'), connection('team/feed', 'e3')];
  for (const c of conns) observer.opened(c);
  assert.deepEqual(await gaugeLines(metrics), [
    'wsgate_backend_connections_active{namespace="default",route="chat",endpoint="e1"} 2',
    'wsgate_backend_connections_active{namespace="default",route="chat",endpoint="e2"} 1',
    'wsgate_backend_connections_active{namespace="team",route="feed",endpoint="e3"} 1',
    'wsgate_connections_active{namespace="default",route="chat"} 3',
    'wsgate_connections_active{namespace="team",route="feed"} 1',
  ]);

  observer.closed(conns[0]!);
  observer.closed(conns[2]!);
  assert.deepEqual(await gaugeLines(metrics), [
    'wsgate_backend_connections_active{namespace="default",route="chat",endpoint="e1"} 1',
    'wsgate_backend_connections_active{namespace="team",route="feed",endpoint="e3"} 1',
    'wsgate_connections_active{namespace="default",route="chat"} 1',
    'wsgate_connections_active{namespace="team",route="feed"} 1',
  ], 'e2 (no table keeps it) goes with its last connection');

  observer.closed(conns[1]!);
  observer.closed(conns[3]!);
  assert.deepEqual(await gaugeLines(metrics), [
    'wsgate_connections_active{namespace="default",route="chat"} 0',
    'wsgate_connections_active{namespace="team",route="feed"} 0',
  ]);
});

test('open-connection gauges: without endpoint metrics only the per-route series exist', async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const observer = metricsObserver(metrics, pino({ level: 'silent' }), { endpointMetrics: false });
  observer.opened(connection('default/chat', 'e1'));
  assert.deepEqual(await gaugeLines(metrics), ['wsgate_connections_active{namespace="default",route="chat"} 1']);
});
