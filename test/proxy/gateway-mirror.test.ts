// RequestMirror on the data plane, over real sockets: a DataPlane fed with a table the real
// compiler makes, a primary and a mirror backend, node:http requests and a ws client. A copy of
// each bodyless plain request (as the backend sees it, after the header modifiers) reaches the
// mirror; requests with a body, upgrades and a 0% mirror send none; a mirror that never answers
// does not hold up the primary.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { GatewayRouteEntry, RequestMirror, ServiceBackend } from '../../src/gatewayapi/model.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { startGatewayPlane } from '../helpers/gateway-plane.js';
import { plainRequest, startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { entry, service } from '../routing/gateway-entries.js';

const hello = (body: Buffer) => JSON.parse(body.toString('utf8')) as HelloBody;
const mirrorTo = (name: string, percent = 100): RequestMirror => ({ backend: service(name, 80) as ServiceBackend, percent });

describe('HTTPRoute RequestMirror on the data plane', () => {
  let primary: HttpBackend;
  let mirror: HttpBackend;
  let silent: net.Server;
  const held = new Set<net.Socket>();
  let plane: DataPlane;
  let port: number;

  const resolveService: ServiceResolver = (namespace, ref) => {
    const key = `${namespace}/${ref.name}`;
    if (key === 'apps/primary') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', primary.port)] };
    if (key === 'apps/mirror') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', mirror.port)] };
    if (key === 'apps/silent') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', (silent.address() as net.AddressInfo).port)] };
    return { ok: false, reason: 'ServiceNotFound', message: `Service ${key} not found` };
  };
  const on = (host: string, over: Partial<GatewayRouteEntry>): GatewayRouteEntry =>
    entry(host.split('.')[0]!, { hostnames: [host], backends: [service('primary', 80)], ...over }, { gateway: 'gw' });
  /** A request the mirror must see; once it has, any copy sent before it on the pooled connection has arrived too. */
  const marker = async (path: string) => {
    await plainRequest(port, path, { headers: { host: 'mirrored.example' } });
    await mirror.waitForRequest((r) => r.url === path);
  };

  before(async () => {
    primary = await startHttpBackend('primary');
    mirror = await startHttpBackend('mirror');
    // Accepts and never answers.
    silent = net.createServer((s) => {
      held.add(s);
      s.on('close', () => held.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    ({ plane, port } = await startGatewayPlane(
      [
      on('mirrored.example', { filters: { mirrors: [mirrorTo('mirror')], requestHeaders: { set: [{ name: 'x-added', value: 'by-route' }], add: [], remove: [] } } }),
      on('never.example', { filters: { mirrors: [mirrorTo('mirror', 0)] } }),
      on('stuck.example', { filters: { mirrors: [mirrorTo('silent')] } }),
      ],
      resolveService,
    ));
  });

  after(async () => {
    await plane.stop();
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await primary.close();
    await mirror.close();
  });

  test('a bodyless request is answered by the primary and copied to the mirror as the backend sees it', async () => {
    const res = await plainRequest(port, '/api/items?page=2', { headers: { host: 'mirrored.example', 'x-client': 'c1' } });
    assert.equal(res.status, 200);
    assert.equal(hello(res.body).backend, 'primary');
    const copy = await mirror.waitForRequest((r) => r.url === '/api/items?page=2');
    assert.equal(copy.method, 'GET');
    assert.equal(copy.headers['x-client'], 'c1');
    assert.equal(copy.headers['x-added'], 'by-route', 'after the RequestHeaderModifier');
    assert.equal(copy.headers.host, 'mirrored.example');
  });

  test('a request with a body and a WebSocket upgrade are not copied', async () => {
    const res = await plainRequest(port, '/with-body', { method: 'POST', headers: { host: 'mirrored.example', 'content-type': 'text/plain' }, body: 'payload' });
    assert.equal(res.status, 200);
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket`, { headers: { host: 'mirrored.example' }, handshakeTimeout: 5000 });
      ws.once('error', reject);
      ws.once('message', () => {
        ws.once('close', () => resolve());
        ws.close(1000);
      });
    });
    assert.equal(primary.upgrades.some((u) => u.url === '/socket'), true);
    await marker('/marker-1');
    assert.equal(mirror.requests.some((r) => r.url === '/with-body'), false);
    assert.equal(mirror.upgrades.length, 0);
  });

  test('a 0% mirror copies nothing', async () => {
    const before = mirror.requests.length;
    for (let i = 0; i < 5; i++) assert.equal((await plainRequest(port, `/never-${i}`, { headers: { host: 'never.example' } })).status, 200);
    await marker('/marker-2');
    assert.deepEqual(mirror.requests.slice(before).map((r) => r.url), ['/marker-2']);
  });

  test('a mirror that never answers does not hold up the primary', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await plainRequest(port, `/stuck-${i}`, { headers: { host: 'stuck.example' }, timeoutMs: 5000 });
      assert.equal(res.status, 200);
      assert.equal(hello(res.body).backend, 'primary');
    }
  });
});
