// A WebSocketRoute's spec.http.retry on the data plane, over real sockets: a DataPlane fed with a
// table the real compiler makes from the route, scripted backends and node:http requests. The
// same exchange as an HTTPRoute rule's retry (gateway-retry.test.ts covers its details): a
// retried status is dropped and the next try answers; a route without retry relays the status.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { route } from '../fixtures.js';
import { plainRequest } from '../helpers/http-backend.js';
import { startScriptedBackend, type ScriptedBackend } from '../helpers/scripted-backend.js';

describe('WebSocketRoute spec.http.retry on the data plane', () => {
  let retried: ScriptedBackend;
  let plain: ScriptedBackend;
  let plane: DataPlane;
  let metrics: Metrics;
  let port: number;

  before(async () => {
    const flaky = (n: number) => (n === 1 ? { status: 503, body: 'dropped' } : { status: 200, body: 'second-try' });
    retried = await startScriptedBackend(flaky);
    plain = await startScriptedBackend(flaky);
    const backend = (b: ScriptedBackend) => ({ endpoints: [{ host: '127.0.0.1', port: b.port }] });
    const out = compile({
      routes: [
        route('retried', { hosts: ['retried.example'], backend: backend(retried), http: { methods: ['GET', 'POST'], retry: { codes: [503], attempts: 1, backoff: '0s' } } }),
        route('plain', { hosts: ['plain.example'], backend: backend(plain), http: { methods: ['GET', 'POST'] } }),
      ],
      version: 1,
    });
    assert.deepEqual(out.table.routes.find((r) => r.name === 'retried')?.http?.retry, { codes: [503], attempts: 1, backoffMs: 0 }, 'compiled with its defaults');
    metrics = new Metrics({ defaultMetrics: false });
    plane = new DataPlane({ logger: pino({ level: 'silent' }), metrics, affinityKey: randomAffinityKey() });
    port = (await plane.listen({ host: '127.0.0.1', port: 0 }, undefined)).proxy.port;
    plane.setTable(out.table, undefined);
  });

  after(async () => {
    await plane.stop();
    await retried.close();
    await plain.close();
  });

  test('a POST answered 503 is sent again with its body; the client gets the 200 only', async () => {
    const res = await plainRequest(port, '/', { method: 'POST', headers: { host: 'retried.example' }, body: 'order-1' });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'second-try');
    assert.deepEqual(retried.requests.map((r) => r.body.toString()), ['order-1', 'order-1']);
    const counted = (await metrics.httpRetries.get()).values.find((v) => v.labels.route === 'retried' && v.labels.reason === 'status');
    assert.equal(counted?.value, 1);
  });

  test('without spec.http.retry the 503 is relayed', async () => {
    const res = await plainRequest(port, '/', { method: 'POST', headers: { host: 'plain.example' }, body: 'order-2' });
    assert.equal(res.status, 503);
    assert.equal(res.body.toString(), 'dropped');
    assert.equal(plain.requests.length, 1);
  });
});
