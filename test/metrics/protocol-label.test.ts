// The protocol a client spoke to wsgate (http/1.1, h2), taken from the RequestContext: a label
// of wsgate_upgrades_total and wsgate_http_requests_total and a field of the access-log lines
// ("http request", "connection closed"). h2 contexts are made here directly: the h2 entry
// points build theirs the same way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { EndpointHealth } from '../../src/balancer/health.js';
import { EndpointLoad } from '../../src/balancer/load.js';
import { metricsObserver } from '../../src/metrics/proxy-observer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { RequestContext, type RequestKind } from '../../src/pipeline/context.js';
import type { Protocol } from '../../src/pipeline/responder.js';
import { ConnectionRegistry } from '../../src/proxy/connections.js';
import { observeRefusal, observeRequest } from '../../src/proxy/stages/observe.js';
import { UpgradeExchanges } from '../../src/proxy/upgrade-exchange.js';
import { RoutingTable } from '../../src/routing/table.js';
import type { Endpoint } from '../../src/routing/endpoint.js';
import type { CompiledRoute } from '../../src/routing/types.js';
import { eventually } from '../helpers/eventually.js';

/** An observer over fresh metrics whose access-log lines are kept, parsed. */
function observed() {
  const metrics = new Metrics({ defaultMetrics: false });
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({}, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { metrics, lines, observer: metricsObserver(metrics, log, { endpointMetrics: false }) };
}

function ctxFor(kind: RequestKind, protocol: Protocol, headers: Record<string, string> = {}): RequestContext {
  return new RequestContext(kind, { method: 'GET', url: '/feed?token=secret', headers } as never, '127.0.0.1', 'main', protocol);
}

test('refused upgrades and plain requests are counted and logged with their context\'s protocol', async () => {
  const { metrics, lines, observer } = observed();
  for (const protocol of ['http/1.1', 'h2'] as const) {
    observeRefusal(observer, ctxFor('upgrade', protocol), { status: 404, message: 'no route', result: 'no_route' });
    observeRequest(observer, ctxFor('http', protocol), 200, 10, 20);
  }
  // A refused plain request is counted when its response closes, not as an upgrade.
  observeRefusal(observer, ctxFor('http', 'h2'), { status: 404, message: 'no route', result: 'no_route' });
  const text = await metrics.registry.metrics();
  for (const protocol of ['http/1.1', 'h2']) {
    assert.match(text, new RegExp(`^wsgate_upgrades_total\\{namespace="",route="",result="no_route",protocol="${protocol}"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^wsgate_http_requests_total\\{namespace="",route="",method="GET",code="200",protocol="${protocol}"\\} 1$`, 'm'));
  }
  const requests = lines.filter((l) => l.msg === 'http request');
  assert.deepEqual(requests.map((l) => [l.protocol, l.path, l.status]), [
    ['http/1.1', '/feed', 200],
    ['h2', '/feed', 200],
  ]);
});

test('an upgrade\'s outcome and its connection\'s access-log line carry its context\'s protocol', async () => {
  const backend = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(backend, 'listening');
  const backendPort = (backend.address() as net.AddressInfo).port;
  // The client end: the accepted side of a loopback connection; `peer` is the client itself.
  const front = net.createServer();
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  const accepted = once(front, 'connection') as Promise<[net.Socket]>;
  const peer = net.connect((front.address() as net.AddressInfo).port, '127.0.0.1');
  const [client] = await accepted;
  const connections = new ConnectionRegistry();
  try {
    const { metrics, lines, observer } = observed();
    const exchanges = new UpgradeExchanges({
      log: pino({ level: 'silent' }),
      load: new EndpointLoad(),
      health: new EndpointHealth(),
      connections,
      observer,
      table: () => RoutingTable.empty(),
      respond: (_ctx, head) => head,
    });
    const ctx = ctxFor('upgrade', 'h2', {
      host: `127.0.0.1:${backendPort}`,
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-version': '13',
      'sec-websocket-key': randomBytes(16).toString('base64'),
    });
    ctx.route = {
      key: 'default/feed',
      namespace: 'default',
      name: 'feed',
      timeouts: { connectMs: 5000, upgradeMs: 5000, idleMs: 0, maxLifetimeMs: 0 },
      backend: {},
    } as unknown as CompiledRoute;
    const endpoint = { id: `127.0.0.1:${backendPort}`, host: '127.0.0.1', port: backendPort } as unknown as Endpoint;
    let answer = '';
    peer.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    exchanges.run(ctx, client, Buffer.alloc(0), () => endpoint, 1);
    await eventually('the 101 relayed to the client', () => answer.startsWith('HTTP/1.1 101'));
    await eventually('the connection registered', () => connections.size === 1);

    peer.destroy();
    await eventually('the connection closed', () => connections.size === 0);
    const closed = lines.find((l) => l.msg === 'connection closed');
    assert.equal(closed?.protocol, 'h2');
    assert.equal(closed?.route, 'default/feed');
    assert.match(await metrics.registry.metrics(), /^wsgate_upgrades_total\{namespace="default",route="feed",result="ok",protocol="h2"\} 1$/m);
  } finally {
    peer.destroy();
    client.destroy();
    connections.stop();
    for (const ws of backend.clients) ws.terminate();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
    await new Promise<void>((resolve) => front.close(() => resolve()));
  }
});
