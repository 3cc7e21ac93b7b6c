// The HTTPRoute CORS filter on the data plane, over real sockets: a DataPlane fed with a table the
// real compiler makes, a real backend, node:http requests and ws clients. Preflights are answered
// by wsgate (the backend never sees them), plain responses carry the headers, and WebSocket
// upgrades are left to the Origin check (security.allowedOrigins) with no CORS headers on the 101.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CorsFilter, GatewayRouteEntry } from '../../src/gatewayapi/model.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { startGatewayPlane } from '../helpers/gateway-plane.js';
import { plainRequest, startHttpBackend, type HttpBackend } from '../helpers/http-backend.js';
import { rawRequest, upgradeRequest } from '../helpers/raw-http.js';
import { entry, service, type EntryOptions } from '../routing/gateway-entries.js';

const CORS: CorsFilter = {
  allowOrigins: ['https://app.example', 'https://*.example.org'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['x-signalr-user-agent', 'authorization'],
  exposeHeaders: ['x-request-id'],
  allowCredentials: true,
  maxAgeSeconds: 600,
};

describe('HTTPRoute CORS filter on the data plane', () => {
  let backend: HttpBackend;
  let plane: DataPlane;
  let gwPort: number;
  const resolveService: ServiceResolver = (namespace, ref) =>
    `${namespace}/${ref.name}` === 'apps/a' ? { ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] } : { ok: false, reason: 'ServiceNotFound', message: 'not found' };
  const on = (host: string, over: Partial<GatewayRouteEntry>, behaviour?: EntryOptions['behaviour']) =>
    entry(host.split('.')[0]!, { hostnames: [host], backends: [service('a', 80)], ...over }, { gateway: 'gw', ...(behaviour ? { behaviour } : {}) });

  before(async () => {
    backend = await startHttpBackend('a');
    ({ plane, port: gwPort } = await startGatewayPlane(
      [
      on('cors.example', { filters: { cors: CORS, requestHeaders: { set: [{ name: 'origin', value: 'https://rewritten.example' }], add: [], remove: [] } } }),
      // The upgrade's Origin check is the WebSocketPolicy's, whatever the CORS filter allows.
      on('checked.example', { filters: { cors: CORS } }, { security: { allowedOrigins: ['https://ws.example'] } }),
      on('plain.example', {}),
      ],
      resolveService,
    ));
  });

  after(async () => {
    await plane.stop();
    await backend.close();
  });

  test('a preflight from an allowed origin is answered 204 by wsgate with the filter\'s headers; the backend never sees it', async () => {
    const seen = backend.requests.length;
    const res = await plainRequest(gwPort, '/negotiate?negotiateVersion=1', {
      method: 'OPTIONS',
      headers: { host: 'cors.example', origin: 'https://chat.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-signalr-user-agent' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], 'https://chat.example.org');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(res.headers['access-control-allow-headers'], 'x-signalr-user-agent, authorization');
    assert.equal(res.headers['access-control-expose-headers'], 'x-request-id');
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.match(res.headers.vary ?? '', /Origin/);
    assert.equal(backend.requests.length, seen, 'no request reached the backend');
  });

  test('a preflight from another origin gets 204 without CORS headers; a plain OPTIONS (no Access-Control-Request-Method) goes to the backend', async () => {
    const seen = backend.requests.length;
    const refused = await plainRequest(gwPort, '/x', { method: 'OPTIONS', headers: { host: 'cors.example', origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(refused.status, 204);
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
    assert.equal(refused.headers['access-control-allow-methods'], undefined);
    assert.equal(backend.requests.length, seen);
    const plainOptions = await plainRequest(gwPort, '/x', { method: 'OPTIONS', headers: { host: 'cors.example', origin: 'https://app.example' } });
    assert.equal(plainOptions.status, 200);
    assert.equal(backend.requests.length, seen + 1);
  });

  test('a plain request gets the headers for the Origin the client sent (a RequestHeaderModifier on Origin does not change the answer)', async () => {
    const res = await plainRequest(gwPort, '/negotiate', { method: 'POST', headers: { host: 'cors.example', origin: 'https://app.example' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-expose-headers'], 'x-request-id');
    assert.match(res.headers.vary ?? '', /Origin/);
    const other = await plainRequest(gwPort, '/negotiate', { headers: { host: 'cors.example', origin: 'https://evil.example' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.match(other.headers.vary ?? '', /Origin/);
  });

  test('a route without the filter adds nothing and forwards preflights to its backend', async () => {
    const seen = backend.requests.length;
    const res = await plainRequest(gwPort, '/x', { method: 'OPTIONS', headers: { host: 'plain.example', origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(backend.requests.length, seen + 1);
  });

  test('upgrades: no CORS headers on the 101; the Origin check of the route\'s policy decides, not allowOrigins', async () => {
    const upgraded = await rawRequest(gwPort, upgradeRequest('/hub', { Host: 'cors.example', Origin: 'https://evil.example' }));
    assert.equal(upgraded.status, 101, 'no allowedOrigins on the route: any origin upgrades, as without the filter');
    assert.equal(upgraded.headers['access-control-allow-origin'], undefined);
    const allowedByCorsOnly = await rawRequest(gwPort, upgradeRequest('/hub', { Host: 'checked.example', Origin: 'https://app.example' }));
    assert.equal(allowedByCorsOnly.status, 403, 'allowOrigins does not open the Origin check');
    const allowed = await rawRequest(gwPort, upgradeRequest('/hub', { Host: 'checked.example', Origin: 'https://ws.example' }));
    assert.equal(allowed.status, 101);
    assert.equal(allowed.headers['access-control-allow-origin'], undefined);
  });
});
