// One EndpointSlice change rebuilds only the routes of its Service: every other compiled route,
// and its status, is the very object the previous compile made; the changed routes carry the
// new endpoints, and the previous table still shows the old ones (the proxy may hold it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { buildServiceResolver } from '../../src/controller/resolve-service.js';
import { compile } from '../../src/routing/compile.js';
import { route } from '../fixtures.js';

const service = (name: string): V1Service => ({ metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'ws', port: 80 }] } });
const slice = (svc: string, ready: boolean): V1EndpointSlice => ({
  metadata: { name: `${svc}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ name: 'ws', port: 8080 }],
  endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.2'], conditions: { ready } }],
});

test('an EndpointSlice change recompiles only the routes of its Service', () => {
  const routes = [
    route('chat-a', { match: { path: '/chat/{rest}' }, backend: { service: { name: 'chat', port: 80 } } }),
    route('chat-b', { hosts: ['x.example.com'], match: { path: '/chat' }, backend: { service: { name: 'chat', port: 'ws' } } }),
    route('feed', { match: { path: '/feed' }, backend: { service: { name: 'feed', port: 80 } } }),
    route('static', { match: { path: '/static' } }),
  ];
  const services = [service('chat'), service('feed')];
  const feedSlice = slice('feed', true);
  const first = buildServiceResolver(services, [slice('chat', true), feedSlice]);
  const before = compile({ routes, resolveService: first, version: 1 });

  // The informer replaced the chat slice: 10.0.0.2 is no longer ready. The feed slice is the same object.
  const second = buildServiceResolver(services, [slice('chat', false), feedSlice], first);
  const after = compile({ routes, resolveService: second, version: 2 }, before);

  for (const key of ['default/feed', 'default/static']) {
    assert.equal(after.table.get(key), before.table.get(key), `${key} is the same compiled route`);
    assert.equal(after.statuses.get(key), before.statuses.get(key), `${key} has the same status object`);
  }
  for (const key of ['default/chat-a', 'default/chat-b']) {
    const was = before.table.get(key)!;
    const now = after.table.get(key)!;
    assert.notEqual(now, was);
    assert.deepEqual(now.backend.eligible.map((e) => e.id), ['10.0.0.1:8080']);
    assert.deepEqual(was.backend.eligible.map((e) => e.id), ['10.0.0.1:8080', '10.0.0.2:8080']);
    // What lookup reads is kept, so the table can share its lookup index.
    assert.equal(now.path, was.path);
    assert.equal(now.hosts, was.hosts);
    assert.deepEqual(after.statuses.get(key)!.backends, { ready: 1, total: 2 });
  }
  assert.equal(after.table.version, 2);
  assert.equal(before.table.version, 1);
});

test('a compile with nothing changed reuses every route and status', () => {
  const routes = [route('a', { match: { path: '/a' } }), route('b', { match: { path: '/b/{x}/c' } })];
  const one = compile({ routes, version: 1 });
  const two = compile({ routes: [...routes], version: 2 }, one);
  assert.deepEqual(two.table.routes.map((r, i) => r === one.table.routes[i]), [true, true]);
  assert.deepEqual([...two.statuses].map(([k, s]) => s === one.statuses.get(k)), [true, true]);
});

test('an edited route is recompiled; a reused previous output stays as it was', () => {
  const a = route('a', { match: { path: '/a' } });
  const b = route('b', { match: { path: '/b' } });
  const one = compile({ routes: [a, b] });
  const edited = route('b', { match: { path: '/b/{rest}' } });
  const two = compile({ routes: [a, edited] }, one);
  assert.equal(two.table.get('default/a'), one.table.get('default/a'));
  assert.equal(two.table.get('default/b')!.path.source, '/b/{rest}');
  assert.equal(one.table.get('default/b')!.path.source, '/b');
  assert.equal(one.table.lookup({ host: 'h', path: '/b/x', subprotocols: [], header: () => undefined }), null);
  assert.equal(two.table.lookup({ host: 'h', path: '/b/x', subprotocols: [], header: () => undefined })?.route.key, 'default/b');
});
