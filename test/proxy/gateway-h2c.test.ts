// HTTPRouteBackendProtocolH2C on the data plane: a Gateway HTTP socket with --h2c takes HTTP/2
// with prior knowledge beside HTTP/1.1 (as the conformance test's client sends it), and a
// backendRef whose Service port has appProtocol kubernetes.io/h2c (protocol 'h2c' in the
// translated entry) is reached over h2c: the backend below speaks nothing else.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import type { DataPlane } from '../../src/workers/data-plane.js';
import { startGatewayPlane } from '../helpers/gateway-plane.js';
import { closeSession, h2Request } from '../helpers/h2-client.js';
import { startH2cBackend, type H2cBackend } from '../helpers/h2c-backend.js';
import { plainRequest } from '../helpers/http-backend.js';
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
