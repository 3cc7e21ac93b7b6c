// HTTPRoute sessionPersistence on the data plane, over real sockets: a DataPlane fed with a table
// the real compiler makes, two real backends behind one rule (weights 1:1, with a random source
// that alternates, so without persistence consecutive requests change backend), node:http
// requests and raw upgrades. A cookie session and a header session each keep plain requests and
// WebSocket upgrades on the backend that answered first; the 101 hands out the value too; a
// Permanent cookie has Max-Age and an ending value; a forged value is a new session.

import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { GatewayRouteEntry, SessionPersistence } from '../../src/gatewayapi/model.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { startGatewayPlane } from '../helpers/gateway-plane.js';
import { plainRequest, startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { entry, service } from '../routing/gateway-entries.js';

const hello = (body: Buffer) => JSON.parse(body.toString('utf8')) as HelloBody;

/** Opens a WebSocket through wsgate; resolves with the 101's headers and the backend that greeted. */
function upgrade(port: number, host: string, headers: Record<string, string>): Promise<{ headers: http.IncomingHttpHeaders; backend: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/hub`, { headers: { host, ...headers }, handshakeTimeout: 5000 });
    let upgradeHeaders: http.IncomingHttpHeaders = {};
    ws.once('upgrade', (res) => (upgradeHeaders = res.headers));
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
    ws.once('message', (data) => {
      const greeting = JSON.parse(data.toString()) as { backend: string };
      ws.once('close', () => resolve({ headers: upgradeHeaders, backend: greeting.backend }));
      ws.close(1000);
    });
  });
}

describe('HTTPRoute sessionPersistence on the data plane', () => {
  let a: HttpBackend;
  let b: HttpBackend;
  let plane: DataPlane;
  let port: number;
  let flip = 0;
  const resolveService: ServiceResolver = (namespace, ref) => {
    const key = `${namespace}/${ref.name}`;
    if (key === 'apps/a') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', a.port)] };
    if (key === 'apps/b') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', b.port)] };
    return { ok: false, reason: 'ServiceNotFound', message: `Service ${key} not found` };
  };
  const on = (host: string, sessionPersistence?: SessionPersistence): GatewayRouteEntry =>
    entry(host.split('.')[0]!, { hostnames: [host], backends: [service('a', 80), service('b', 80)], ...(sessionPersistence ? { sessionPersistence } : {}) }, { gateway: 'gw' });

  before(async () => {
    a = await startHttpBackend('a');
    b = await startHttpBackend('b');
    // Alternates between the two backendRefs' halves of the weight, and between endpoints.
    const random = () => (flip++ % 2 === 0 ? 0.25 : 0.75);
    ({ plane, port } = await startGatewayPlane(
      [
      on('none.example'),
      on('cookie.example', { type: 'Cookie', name: 'chat-session', lifetime: 'Session' }),
      on('permanent.example', { type: 'Cookie', name: 'chat-session', lifetime: 'Permanent', absoluteTimeoutMs: 3_600_000 }),
      on('header.example', { type: 'Header', name: 'X-Session', lifetime: 'Session', absoluteTimeoutMs: 600_000 }),
      ],
      resolveService,
      random,
    ));
  });

  after(async () => {
    await plane.stop();
    await a.close();
    await b.close();
  });

  const backendsOf = async (host: string, headers: Record<string, string>, n: number) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(hello((await plainRequest(port, '/negotiate', { headers: { host, ...headers } })).body).backend);
    return seen;
  };

  test('without sessionPersistence consecutive requests change backend (the control)', async () => {
    assert.deepEqual([...(await backendsOf('none.example', {}, 4))].sort(), ['a', 'b']);
  });

  test('a cookie session: the first answer sets it; plain requests and an upgrade with it stay on that backend; the 101 of a new session sets it too', async () => {
    const first = await plainRequest(port, '/negotiate', { headers: { host: 'cookie.example' } });
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^chat-session=v1\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax$/, 'a Session cookie: no Max-Age');
    const cookie = setCookie.split(';')[0]!;
    const owner = hello(first.body).backend;
    assert.deepEqual([...(await backendsOf('cookie.example', { cookie }, 6))], [owner]);
    const ws = await upgrade(port, 'cookie.example', { cookie });
    assert.equal(ws.backend, owner, 'the WebSocket goes where negotiate went');
    assert.equal(ws.headers['set-cookie'], undefined, 'the client already has its value');
    const fresh = await upgrade(port, 'cookie.example', {});
    assert.match(String(fresh.headers['set-cookie']), /^chat-session=v1\./, 'a new session starts on the 101');
  });

  test('a forged value is a new session, not an error', async () => {
    const res = await plainRequest(port, '/negotiate', { headers: { host: 'cookie.example', cookie: 'chat-session=v1.AAAAAAAAAAAAAAAAAAAAAA' } });
    assert.equal(res.status, 200);
    assert.match(res.headers['set-cookie']?.[0] ?? '', /^chat-session=v1\./);
  });

  test('a Permanent cookie: Max-Age is the absolute timeout and the value carries its end', async () => {
    const first = await plainRequest(port, '/negotiate', { headers: { host: 'permanent.example' } });
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^chat-session=v2\.[A-Za-z0-9_-]+\.[0-9a-z]+\.[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=3600$/);
    assert.deepEqual([...(await backendsOf('permanent.example', { cookie: setCookie.split(';')[0]! }, 4))], [hello(first.body).backend]);
  });

  test('a header session: the value comes back in X-Session (no cookie); requests and an upgrade sending it stay on that backend', async () => {
    const first = await plainRequest(port, '/negotiate', { headers: { host: 'header.example' } });
    const value = first.headers['x-session'];
    assert.equal(typeof value, 'string');
    assert.match(value as string, /^v2\./, 'absoluteTimeout: an ending value');
    assert.equal(first.headers['set-cookie'], undefined);
    const owner = hello(first.body).backend;
    assert.deepEqual([...(await backendsOf('header.example', { 'x-session': value as string }, 6))], [owner]);
    const ws = await upgrade(port, 'header.example', { 'x-session': value as string });
    assert.equal(ws.backend, owner);
    const fresh = await upgrade(port, 'header.example', {});
    assert.match(String(fresh.headers['x-session']), /^v2\./, 'the 101 of a new session carries the header');
  });
});
