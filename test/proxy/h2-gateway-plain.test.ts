// HTTPRoute CORS and RequestMirror on plain HTTP/2 requests (src/proxy/http2-entry.ts): the same
// cors and mirror stages as over HTTP/1.1. A WebSocketProxy with a table the real compiler makes
// from HTTPRoute entries, its HTTP/2 server of a Gateway socket listening with prior knowledge
// (h2c), Node's http2 client, real HTTP/1.1 backends: a preflight is answered by wsgate with a
// 204 on the stream, a plain response carries the CORS headers for the Origin sent, and a
// copy of a bodyless request reaches the mirror without the request's pseudo-header fields.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type net from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { CorsFilter, RequestMirror, ServiceBackend } from '../../src/gatewayapi/model.js';
import { WebSocketProxy } from '../../src/proxy/server.js';
import { compile } from '../../src/routing/compile.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import { closeSession, h2Request } from '../helpers/h2-client.js';
import { startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { entry, gatewayInput, service } from '../routing/gateway-entries.js';

const CORS: CorsFilter = {
  allowOrigins: ['https://app.example'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['authorization'],
  exposeHeaders: ['x-request-id'],
  allowCredentials: true,
  maxAgeSeconds: 600,
};

describe('HTTPRoute CORS and RequestMirror over HTTP/2', () => {
  let primary: HttpBackend;
  let mirror: HttpBackend;
  let proxy: WebSocketProxy;
  let h2: http2.Http2Server;
  let session: http2.ClientHttp2Session;

  before(async () => {
    primary = await startHttpBackend('primary');
    mirror = await startHttpBackend('mirror');
    const resolveService: ServiceResolver = (namespace, ref) => {
      const port = { primary: primary.port, mirror: mirror.port }[ref.name];
      return port ? { ok: true, endpoints: [makeEndpoint('127.0.0.1', port)] } : { ok: false, reason: 'ServiceNotFound', message: `Service ${namespace}/${ref.name} not found` };
    };
    const mirrorTo: RequestMirror = { backend: service('mirror', 80) as ServiceBackend, percent: 100 };
    const entries = [
      entry('cors', { hostnames: ['cors.example'], backends: [service('primary', 80)], filters: { cors: CORS } }),
      entry('mirrored', { hostnames: ['mirrored.example'], backends: [service('primary', 80)], filters: { mirrors: [mirrorTo] } }),
    ];
    proxy = new WebSocketProxy({ logger: pino({ level: 'silent' }) });
    proxy.setTable(compile({ routes: [], resolveService, gateway: gatewayInput(entries) }).table);
    h2 = proxy.h2ServerFor('gw-80');
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    session = http2.connect(`http://127.0.0.1:${(h2.address() as net.AddressInfo).port}`);
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
  });

  after(async () => {
    await closeSession(session);
    await proxy.close();
    await new Promise<void>((resolve) => h2.close(() => resolve()));
    await primary.close();
    await mirror.close();
  });

  test('a preflight is answered by wsgate (204) and never reaches the backend', async () => {
    const before = primary.requests.length;
    const res = await h2Request(session, {
      ':method': 'OPTIONS',
      ':path': '/negotiate',
      ':authority': 'cors.example',
      origin: 'https://app.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.match(String(res.headers['access-control-allow-methods']), /POST/);
    assert.equal(res.body.length, 0);
    assert.equal(primary.requests.length, before);
  });

  test('a plain response carries the CORS headers for the Origin sent, none for another', async () => {
    const allowed = await h2Request(session, { ':method': 'GET', ':path': '/negotiate', ':authority': 'cors.example', origin: 'https://app.example' });
    assert.equal(allowed.status, 200);
    assert.equal((JSON.parse(allowed.body.toString()) as HelloBody).backend, 'primary');
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(allowed.headers['access-control-expose-headers'], 'x-request-id');
    const other = await h2Request(session, { ':method': 'GET', ':path': '/negotiate', ':authority': 'cors.example', origin: 'https://evil.example' });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('a bodyless request is copied to the mirror, as HTTP/1.1 without pseudo-header fields', async () => {
    const res = await h2Request(session, { ':method': 'GET', ':path': '/copied?x=1', ':authority': 'mirrored.example', 'x-client': 'h2' });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body.toString()) as HelloBody).backend, 'primary');
    const copy = await mirror.waitForRequest((r) => r.url === '/copied?x=1');
    assert.equal(copy.method, 'GET');
    assert.equal(copy.headers['x-client'], 'h2');
    assert.equal(copy.headers.host, 'mirrored.example');
    assert.deepEqual(Object.keys(copy.headers).filter((n) => n.startsWith(':')), []);
  });
});
