// HTTPRoute rules[].retry on the data plane, over real sockets: a DataPlane fed with a table the
// real compiler makes, scripted backends (test/helpers/scripted-backend.ts) and node:http or ws
// clients. A retried status is dropped (its body never reaches the client) and the next try
// answers (a large dropped body closes its connection instead of being read); the last try's
// answer passes through when the attempts run out; a held body goes again byte for byte, a body
// above the cap or a chunked one is not held and not retried; a refused connection
// and a backendRequest timeout are retried; the backoff separates the tries (measured on the
// test's clock) and the request timeout ends a backoff; an upgrade is never retried after its 101.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { RETRY_BODY_CAP_BYTES } from '../../src/api/defaults.js';
import type { GatewayRouteEntry, RetryPolicy } from '../../src/gatewayapi/model.js';
import type { Metrics } from '../../src/metrics/registry.js';
import { makeEndpoint, type Endpoint, type ServiceResolver } from '../../src/routing/types.js';
import type { DataPlane } from '../../src/workers/data-plane.js';
import { startGatewayPlane } from '../helpers/gateway-plane.js';
import { plainRequest } from '../helpers/http-backend.js';
import { refusedPort } from '../helpers/refused-port.js';
import { startScriptedBackend, type ScriptedBackend } from '../helpers/scripted-backend.js';
import { entry, service } from '../routing/gateway-entries.js';

const retry = (codes: number[], attempts: number, backoffMs = 0): RetryPolicy => ({ codes, attempts, backoffMs });
const BACKOFF_MS = 300;

/** A WebSocket backend that completes each handshake and then drops the connection at once. */
async function startDroppingWsBackend(): Promise<{ port: number; upgrades: () => number; close: () => Promise<void> }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  let upgrades = 0;
  wss.on('connection', (ws) => {
    upgrades++;
    ws.terminate();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    upgrades: () => upgrades,
    close: async () => {
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens a WebSocket through wsgate; resolves with whether it opened, once it has closed. */
function openAndClose(port: number, host: string): Promise<{ opened: boolean; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live`, { headers: { host }, handshakeTimeout: 5000 });
    let opened = false;
    ws.once('open', () => (opened = true));
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.on('error', () => {});
    ws.once('close', (code) => resolve({ opened, code }));
  });
}

describe('HTTPRoute retry on the data plane', () => {
  const backends = new Map<string, ScriptedBackend>();
  let dropping: Awaited<ReturnType<typeof startDroppingWsBackend>>;
  let refused: number;
  let plane: DataPlane;
  let metrics: Metrics;
  let port: number;

  const scripted: Record<string, Parameters<typeof startScriptedBackend>[0]> = {
    flaky: (n) => (n === 1 ? { status: 503, body: 'dropped-first-body' } : { status: 200, body: 'second-try' }),
    always500: (n) => ({ status: 500, body: `try-${n}` }),
    replay: (n) => (n === 1 ? { status: 503, body: 'again' } : { status: 200, body: 'stored' }),
    big: () => ({ status: 503, body: 'busy' }),
    huge: (n) => (n === 1 ? { status: 503, body: 'x'.repeat(256 * 1024) } : { status: 200, body: 'small' }),
    good: () => ({ status: 200, body: 'ok' }),
    slow: (n) => (n === 1 ? 'hold' : { status: 200, body: 'after-timeout' }),
    backoff: (n) => (n === 1 ? { status: 503, body: 'wait' } : { status: 200, body: 'waited' }),
    deadline: () => ({ status: 500, body: 'down' }),
  };
  const resolveService: ServiceResolver = (namespace, ref) => {
    const own = backends.get(ref.name);
    const endpoints: Endpoint[] | undefined =
      ref.name === 'refused'
        ? [makeEndpoint('127.0.0.1', refused), makeEndpoint('127.0.0.1', backends.get('good')!.port)]
        : ref.name === 'ws'
          ? [makeEndpoint('127.0.0.1', refused), makeEndpoint('127.0.0.1', dropping.port)]
          : own && [makeEndpoint('127.0.0.1', own.port)];
    return endpoints ? { ok: true, endpoints } : { ok: false, reason: 'ServiceNotFound', message: `Service ${namespace}/${ref.name} not found` };
  };
  const route = (name: string, over: Partial<GatewayRouteEntry>): GatewayRouteEntry =>
    entry(name, { hostnames: [`${name}.example`], backends: [service(name, 80)], ...over }, { gateway: 'gw' });
  const retries = async (name: string, reason: string) =>
    (await metrics.httpRetries.get()).values.find((v) => v.labels.route === name && v.labels.reason === reason)?.value ?? 0;

  before(async () => {
    for (const [name, script] of Object.entries(scripted)) backends.set(name, await startScriptedBackend(script));
    dropping = await startDroppingWsBackend();
    refused = await refusedPort();
    ({ plane, port, metrics } = await startGatewayPlane(
      [
        route('flaky', { retry: retry([500, 503], 2) }),
        route('always500', { retry: retry([500], 2) }),
        route('replay', { retry: retry([503], 1) }),
        route('big', { retry: retry([503], 1) }),
        route('huge', { retry: retry([503], 1) }),
        route('refused', { retry: retry([], 1) }),
        route('slow', { retry: retry([], 1), timeouts: { backendRequestMs: 200 } }),
        route('backoff', { retry: retry([503], 1, BACKOFF_MS) }),
        route('deadline', { retry: retry([500], 3, 60_000), timeouts: { requestMs: 300 } }),
        route('ws', { retry: retry([500, 502, 503], 3) }),
      ],
      resolveService,
    ));
  });

  after(async () => {
    await plane.stop();
    for (const b of backends.values()) await b.close();
    await dropping.close();
  });

  test('503 then 200: the client gets the 200 once; the dropped body never reaches it', async () => {
    const res = await plainRequest(port, '/items', { headers: { host: 'flaky.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'second-try');
    assert.equal(backends.get('flaky')!.requests.length, 2);
    assert.equal(await retries('flaky', 'status'), 1);
  });

  test('attempts run out: the last try\'s answer passes through', async () => {
    const res = await plainRequest(port, '/items', { headers: { host: 'always500.example' } });
    assert.equal(res.status, 500);
    assert.equal(res.body.toString(), 'try-3', 'the first try and two retries; the third answer is relayed');
    assert.equal(backends.get('always500')!.requests.length, 3);
    assert.equal(await retries('always500', 'status'), 2);
  });

  test('a POST body is sent again byte for byte to the second try', async () => {
    const body = randomBytes(10_000);
    const res = await plainRequest(port, '/upload', { method: 'POST', headers: { host: 'replay.example', 'content-type': 'application/octet-stream' }, body });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'stored');
    const seen = backends.get('replay')!.requests;
    assert.equal(seen.length, 2);
    for (const r of seen) {
      assert.equal(r.method, 'POST');
      assert.ok(r.body.equals(body), `try ${r.n} got the body as sent`);
    }
  });

  test('a body above the cap is streamed to one try and not retried', async () => {
    const body = randomBytes(RETRY_BODY_CAP_BYTES + 1);
    const res = await plainRequest(port, '/upload', { method: 'POST', headers: { host: 'big.example' }, body });
    assert.equal(res.status, 503);
    assert.equal(res.body.toString(), 'busy');
    const seen = backends.get('big')!.requests;
    assert.equal(seen.length, 1);
    assert.ok(seen[0]!.body.equals(body));
    assert.equal(await retries('big', 'status'), 0);
  });

  test('a chunked body (its size unknown until its end) is not retried', async () => {
    const res = await plainRequest(port, '/upload', { method: 'POST', headers: { host: 'big.example', 'transfer-encoding': 'chunked' }, body: 'short' });
    assert.equal(res.status, 503);
    assert.equal(backends.get('big')!.requests.at(-1)!.body.toString(), 'short');
    assert.equal(await retries('big', 'status'), 0);
  });

  test('a retried answer with a body too large to drain: its connection is closed, the next try answers', async () => {
    const res = await plainRequest(port, '/items', { headers: { host: 'huge.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'small');
    assert.equal(backends.get('huge')!.requests.length, 2);
  });

  test('a refused connection: the held body goes to the next endpoint', async () => {
    // Two requests: whichever comes first to the refused endpoint is retried, and passive health
    // then keeps the other away from it, so exactly one retry whatever the balancer's order.
    for (const i of [1, 2]) {
      const body = Buffer.from(`order ${i}`);
      const res = await plainRequest(port, '/orders', { method: 'POST', headers: { host: 'refused.example' }, body });
      assert.equal(res.status, 200);
      assert.ok(backends.get('good')!.requests.at(-1)!.body.equals(body));
    }
    assert.equal(backends.get('good')!.requests.length, 2);
    assert.equal(await retries('refused', 'connection_error'), 1);
  });

  test('the backendRequest timeout: the try is abandoned and the next one answers', async () => {
    const res = await plainRequest(port, '/report', { headers: { host: 'slow.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'after-timeout');
    assert.equal(backends.get('slow')!.requests.length, 2);
    assert.equal(await retries('slow', 'backend_timeout'), 1);
  });

  test('the backoff separates the answer that is retried from the next try', async () => {
    const res = await plainRequest(port, '/items', { headers: { host: 'backoff.example' } });
    assert.equal(res.status, 200);
    const [first, second] = backends.get('backoff')!.requests;
    // The timer's clock may trail performance.now() by under a millisecond.
    const gap = second!.arrivedAt - first!.answeredAt!;
    assert.ok(gap >= BACKOFF_MS - 1, `the second try came ${gap.toFixed(1)} ms after the 503, under the ${BACKOFF_MS} ms backoff`);
  });

  test('the request timeout ends a backoff: 504, no further try', async () => {
    const res = await plainRequest(port, '/items', { headers: { host: 'deadline.example' } });
    assert.equal(res.status, 504);
    assert.equal(backends.get('deadline')!.requests.length, 1);
  });

  test('an upgrade: a refused endpoint is left for another before the 101, never retried after it', async () => {
    // The balancer puts one of the two upgrades on the refused endpoint first (then it is ejected).
    for (const i of [1, 2]) {
      const out = await openAndClose(port, 'ws.example');
      assert.equal(out.opened, true, `upgrade ${i} got its 101`);
      assert.equal(out.code, 1014, 'the backend dropped it after the 101: wsgate closes with 1014 (bad gateway), it does not try again');
      assert.equal(dropping.upgrades(), i, 'one handshake per upgrade reached the backend');
    }
  });
});
