import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointHealth } from '../../src/balancer/health.js';
import { pickEndpoint } from '../../src/balancer/pick.js';
import { EndpointLoad } from '../../src/balancer/load.js';
import { compile } from '../../src/routing/compile.js';
import { route } from '../fixtures.js';

test('ejection backs off exponentially, caps, and clears on success', () => {
  let now = 0;
  const h = new EndpointHealth(1000, 8000, () => now);
  assert.deepEqual([h.fail('a'), h.fail('a'), h.fail('a'), h.fail('a'), h.fail('a')], [1000, 2000, 4000, 8000, 8000]);
  assert.equal(h.isEjected('a'), true);
  now = 7999;
  assert.equal(h.isEjected('a'), true);
  now = 8001;
  assert.equal(h.isEjected('a'), false);
  h.fail('a');
  h.succeed('a');
  assert.equal(h.isEjected('a'), false);
  assert.equal(h.fail('a'), 1000, 'a success resets the backoff');
});

test('pick skips ejected endpoints, unless all are ejected', () => {
  const r = compile({
    routes: [route('r', { backend: { endpoints: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }] } })],
  }).table.routes[0]!;
  const load = new EndpointLoad();
  const ejected = new Set(['127.0.0.1:1']);
  for (let cursor = 0; cursor < 4; cursor++) {
    assert.equal(pickEndpoint(r, { load, exclude: new Set(), cursor, random: Math.random, isEjected: (id) => ejected.has(id) })!.port, 2);
  }
  ejected.add('127.0.0.1:2');
  assert.ok(pickEndpoint(r, { load, exclude: new Set(), cursor: 0, random: Math.random, isEjected: (id) => ejected.has(id) }));
});

test('forget drops endpoints that left every route', () => {
  const h = new EndpointHealth();
  h.fail('a');
  h.fail('b');
  h.forget(['a']);
  assert.deepEqual(Object.keys(h.snapshot()), ['b']);
});
