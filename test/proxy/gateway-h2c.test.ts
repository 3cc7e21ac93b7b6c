// HTTPRouteBackendProtocolH2C on the data plane: a Gateway HTTP socket with --h2c takes HTTP/2
// with prior knowledge beside HTTP/1.1 (as the conformance test's client sends it), and a
// backendRef whose Service port has appProtocol kubernetes.io/h2c (protocol 'h2c' in the
// translated entry) is reached over h2c: the backend below speaks nothing else.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ServiceBackend } from '../../src/gatewayapi/model.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import type { DataPlane } from '../../src/workers/data-plane.js';
import { startGatewayPlane } from '../helpers/gateway-plane.js';
import { closeSession, h2Request } from '../helpers/h2-client.js';
import { startH2cBackend, type H2cBackend } from '../helpers/h2c-backend.js';
import { plainRequest } from '../helpers/http-backend.js';
import { eventually } from '../helpers/eventually.js';
import { refusedPort } from '../helpers/refused-port.js';
import { entry, service } from '../routing/gateway-entries.js';

describe('an HTTPRoute to an h2c backend on a Gateway HTTP socket with --h2c', () => {
  let backend: H2cBackend;
  let plane: DataPlane;
  let gwPort: number;
  const resolveService: ServiceResolver = (namespace, ref) =>
    `${namespace}/${ref.name}` === 'apps/a' ? { ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] } : { ok: false, reason: 'ServiceNotFound', message: 'not found' };

  before(async () => {
    backend = await startH2cBackend();
    const h2cBackend = { ...service('a', 80), protocol: 'h2c' as const };
    ({ plane, port: gwPort } = await startGatewayPlane([entry('r', { hostnames: ['h2c.example'], backends: [h2cBackend] }, { gateway: 'gw' })], resolveService, undefined, { h2c: true }));
  });

  after(async () => {
    await plane.stop();
    await backend.close();
  });

  test('a prior-knowledge HTTP/2 request on the Gateway socket reaches the h2c-only backend', async () => {
    const session = http2.connect(`http://127.0.0.1:${gwPort}`);
    try {
      const res = await h2Request(session, { ':method': 'GET', ':path': '/', ':authority': 'h2c.example' });
      assert.equal(res.status, 200);
      assert.ok(res.complete);
      assert.deepEqual(JSON.parse(res.body.toString()), { method: 'GET', target: '/', authority: 'h2c.example' });
      assert.equal(res.headers['x-backend'], 'h2c');
    } finally {
      await closeSession(session);
    }
  });

  test('an HTTP/1.1 request on the same socket reaches it over h2c too', async () => {
    const r = await plainRequest(gwPort, '/', { headers: { host: 'h2c.example' } });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body.toString()).authority, 'h2c.example');
    assert.ok(backend.sessions.length >= 1);
  });
});

/** A TCP endpoint that takes each connection and closes it before any answer (an h2c session reset before its first response). */
async function startResetter(): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { port: 0, connections: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  const server = net.createServer((socket) => {
    state.connections++;
    socket.on('error', () => {});
    // The client's preface arrives, then the connection is reset under it.
    socket.once('data', () => socket.resetAndDestroy());
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}

describe('the exchange over h2c: retries, the request timeout, mirrors', () => {
  let backend: H2cBackend;
  let mirror: H2cBackend;
  let resetter: Awaited<ReturnType<typeof startResetter>>;
  let refused: number;
  let plane: DataPlane;
  let gwPort: number;

  before(async () => {
    backend = await startH2cBackend();
    mirror = await startH2cBackend();
    resetter = await startResetter();
    refused = await refusedPort();
    const resolveService: ServiceResolver = (namespace, ref) => {
      const key = `${namespace}/${ref.name}`;
      // The failing endpoints first: the chooser (random 0) tries them before the one that answers.
      if (key === 'apps/flaky') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', resetter.port), makeEndpoint('127.0.0.1', refused), makeEndpoint('127.0.0.1', backend.port)] };
      if (key === 'apps/slow') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] };
      if (key === 'apps/mirror') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', mirror.port)] };
      return { ok: false, reason: 'ServiceNotFound', message: 'not found' };
    };
    const h2c = (name: string) => ({ ...service(name, 80), protocol: 'h2c' as const });
    ({ plane, port: gwPort } = await startGatewayPlane(
      [
        entry('flaky', { hostnames: ['flaky.example'], backends: [h2c('flaky')] }, { gateway: 'gw' }),
        entry('slow', { hostnames: ['slow.example'], backends: [h2c('slow')], timeouts: { requestMs: 300 } }, { gateway: 'gw' }),
        entry('mirrored', { hostnames: ['mirrored.example'], backends: [h2c('slow')], filters: { mirrors: [{ backend: h2c('mirror') as ServiceBackend, percent: 100 }] } }, { gateway: 'gw' }),
      ],
      resolveService,
      () => 0,
      { h2c: true },
    ));
  });

  after(async () => {
    await plane.stop();
    await backend.close();
    await mirror.close();
    await resetter.close();
  });

  test('a GET whose endpoints refuse the connect or reset the session before answering is retried on another endpoint, which answers', async () => {
    const r = await plainRequest(gwPort, '/', { headers: { host: 'flaky.example' } });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body.toString()).target, '/');
    assert.ok(resetter.connections >= 1, 'the endpoint that resets was tried first');
  });

  test('timeouts.request: a backend that never answers gets the client a 504, and its stream is reset', async () => {
    const before = backend.streams.length;
    const r = await plainRequest(gwPort, '/v1/silent', { headers: { host: 'slow.example' } });
    assert.equal(r.status, 504);
    const stream = backend.streams.slice(before).find((s) => s.headers[':path'] === '/v1/silent');
    assert.ok(stream, 'the request reached the backend');
    assert.notEqual(await stream.closed, http2.constants.NGHTTP2_NO_ERROR);
  });

  test('a RequestMirror to a Service port with appProtocol kubernetes.io/h2c: the HTTP/2-only mirror gets the copy over h2c', async () => {
    const r = await plainRequest(gwPort, '/v1/hello?mirrored=1', { headers: { host: 'mirrored.example', 'x-copied': 'yes' } });
    assert.equal(r.status, 200);
    const copy = await eventually('the mirror gets the copy', () => mirror.streams.find((s) => s.headers[':path'] === '/v1/hello?mirrored=1'));
    assert.equal(copy.headers[':method'], 'GET');
    assert.equal(copy.headers[':authority'], 'mirrored.example');
    assert.equal(copy.headers['x-copied'], 'yes');
  });
});
