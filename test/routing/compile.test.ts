import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/routing/compile.js';
import type { RouteRequest } from '../../src/routing/table.js';
import { makeEndpoint } from '../../src/routing/types.js';
import { route } from '../fixtures.js';

function req(host: string, path: string, extra: { subprotocols?: string[]; headers?: Record<string, string> } = {}): RouteRequest {
  return {
    host,
    path,
    subprotocols: extra.subprotocols ?? [],
    header: (n) => extra.headers?.[n],
  };
}

function lookupKey(routes: ReturnType<typeof route>[], r: RouteRequest): string | undefined {
  return compile({ routes }).table.lookup(r)?.route.key;
}

test('host precedence: exact, then longest wildcard, then any host', () => {
  const routes = [
    route('any', { match: { path: '/{rest}' } }),
    route('wild', { hosts: ['*.example.com'], match: { path: '/{rest}' } }),
    route('wild-deep', { hosts: ['*.eu.example.com'], match: { path: '/{rest}' } }),
    route('exact', { hosts: ['chat.example.com'], match: { path: '/{rest}' } }),
  ];
  assert.equal(lookupKey(routes, req('chat.example.com', '/x')), 'default/exact');
  assert.equal(lookupKey(routes, req('a.example.com', '/x')), 'default/wild');
  assert.equal(lookupKey(routes, req('a.eu.example.com', '/x')), 'default/wild-deep');
  assert.equal(lookupKey(routes, req('example.com', '/x')), 'default/any'); // wildcard needs a label
  assert.equal(lookupKey(routes, req('other.org', '/x')), 'default/any');
});

test('an exact host route that does not match the path falls through to wildcard and any', () => {
  const routes = [
    route('exact', { hosts: ['chat.example.com'], match: { path: '/only' } }),
    route('any', { match: { path: '/{rest}' } }),
  ];
  assert.equal(lookupKey(routes, req('chat.example.com', '/only')), 'default/exact');
  assert.equal(lookupKey(routes, req('chat.example.com', '/other')), 'default/any');
});

test('route hosts must be lower-case DNS names (requests are lower-cased by the proxy)', () => {
  const out = compile({ routes: [route('upper', { hosts: ['Chat.Example.com'], match: { path: '/' } })] });
  assert.equal(out.statuses.get('default/upper')!.accepted.reason, 'Invalid');
  assert.match(out.statuses.get('default/upper')!.accepted.message, /spec\.hosts\[0\]/);
});

test('path precedence: the more specific template wins regardless of names', () => {
  const routes = [
    route('a-catchall', { match: { path: '/gateway/{catchAll}' } }),
    route('b-exact', { match: { path: '/gateway/admin' } }),
    route('c-param', { match: { path: '/gateway/{room}/live' } }),
  ];
  assert.equal(lookupKey(routes, req('h', '/gateway/admin')), 'default/b-exact');
  assert.equal(lookupKey(routes, req('h', '/gateway/42/live')), 'default/c-param');
  assert.equal(lookupKey(routes, req('h', '/gateway/42/other')), 'default/a-catchall');
});

test('header and subprotocol conditions: the route with more conditions is tried first', () => {
  const routes = [
    route('plain', { match: { path: '/ws' } }),
    route('tenant-a', { match: { path: '/ws', headers: [{ name: 'X-Tenant', value: 'a' }] } }),
    route('graphql', { match: { path: '/ws', subprotocols: ['graphql-transport-ws'] } }),
  ];
  assert.equal(lookupKey(routes, req('h', '/ws')), 'default/plain');
  assert.equal(lookupKey(routes, req('h', '/ws', { headers: { 'x-tenant': 'a' } })), 'default/tenant-a');
  assert.equal(lookupKey(routes, req('h', '/ws', { headers: { 'x-tenant': 'b' } })), 'default/plain');
  assert.equal(lookupKey(routes, req('h', '/ws', { subprotocols: ['chat', 'graphql-transport-ws'] })), 'default/graphql');
});

test('equal specificity is broken by namespace/name, independent of input order', () => {
  const a = route('a', { match: { path: '/{x}', headers: [{ name: 'x-a', value: '1' }] } });
  const b = route('b', { match: { path: '/{x}', headers: [{ name: 'x-b', value: '1' }] } });
  const r = req('h', '/p', { headers: { 'x-a': '1', 'x-b': '1' } });
  assert.equal(lookupKey([a, b], r), 'default/a');
  assert.equal(lookupKey([b, a], r), 'default/a');
});

test('conflicting routes are reported: the older keeps the match, the other is refused', () => {
  const older = route('zeta', { match: { path: '/chat/{x}' } }, { creationTimestamp: '2026-01-01T00:00:00Z' });
  const newer = route('alpha', { match: { path: '/chat/{other}' } }, { creationTimestamp: '2026-02-01T00:00:00Z' });
  const out = compile({ routes: [newer, older] });
  assert.equal(out.table.routes.length, 1);
  assert.equal(out.table.routes[0]!.key, 'default/zeta');
  const st = out.statuses.get('default/alpha')!;
  assert.equal(st.accepted.status, 'False');
  assert.equal(st.accepted.reason, 'Conflict');
  assert.match(st.accepted.message, /conflicts with route default\/zeta/);
  assert.equal(out.statuses.get('default/zeta')!.accepted.status, 'True');
});

test('routes on different hosts or with different conditions do not conflict', () => {
  const out = compile({
    routes: [
      route('a', { hosts: ['a.example.com'], match: { path: '/chat' } }),
      route('b', { hosts: ['b.example.com'], match: { path: '/chat' } }),
      route('c', { match: { path: '/chat', subprotocols: ['mqtt'] } }),
      route('d', { match: { path: '/chat' } }),
    ],
  });
  assert.equal(out.table.routes.length, 4);
});

test('an invalid route is refused with reasons and does not disturb the others', () => {
  const good = route('good', { match: { path: '/ok' } });
  const bad = route('bad', { match: { path: 'no-slash' } });
  const out = compile({ routes: [good, bad] });
  assert.deepEqual(out.table.routes.map((r) => r.key), ['default/good']);
  const st = out.statuses.get('default/bad')!;
  assert.equal(st.accepted.status, 'False');
  assert.equal(st.accepted.reason, 'Invalid');
  assert.match(st.accepted.message, /spec\.match\.path/);
  assert.equal(out.table.lookup(req('h', '/ok'))?.route.key, 'default/good');
});

test('static endpoints: IPv6 ids are bracketed, counted in status; duplicates are refused', () => {
  const dup = route('dup', { backend: { endpoints: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 1 }] } });
  assert.equal(compile({ routes: [dup] }).statuses.get('default/dup')!.accepted.reason, 'Invalid');
  const r = route('dup', {
    backend: {
      endpoints: [
        { host: '127.0.0.1', port: 1 },
        { host: '::1', port: 2 },
      ],
    },
  });
  const out = compile({ routes: [r] });
  assert.deepEqual(out.table.routes[0]!.backend.endpoints.map((e) => e.id), ['127.0.0.1:1', '[::1]:2']);
  const st = out.statuses.get('default/dup')!;
  assert.deepEqual(st.backends, { ready: 2, total: 2 });
  assert.equal(st.ready.status, 'True');
});

test('service backends: resolved through the resolver; unresolved is reported and serves 503', () => {
  const r = route('svc', { backend: { service: { name: 'chat', port: 8080 } } });
  const standalone = compile({ routes: [r] });
  assert.equal(standalone.statuses.get('default/svc')!.resolvedRefs.reason, 'BackendNotSupported');
  assert.equal(standalone.table.routes[0]!.backend.eligible.length, 0);

  const resolved = compile({
    routes: [r],
    resolveService: (ns, svc) =>
      ns === 'default' && svc.name === 'chat'
        ? { ok: true, endpoints: [makeEndpoint('10.0.0.1', 8080), makeEndpoint('10.0.0.2', 8080, true, true), makeEndpoint('10.0.0.3', 8080, false)] }
        : { ok: false, reason: 'ServiceNotFound', message: 'no such service' },
  });
  const st = resolved.statuses.get('default/svc')!;
  assert.equal(st.resolvedRefs.status, 'True');
  assert.deepEqual(st.backends, { ready: 1, total: 3 });
  assert.deepEqual(resolved.table.routes[0]!.backend.eligible.map((e) => e.id), ['10.0.0.1:8080']);
});

test('a route without ready endpoints is accepted but not Ready', () => {
  const out = compile({
    routes: [route('svc', { backend: { service: { name: 'chat', port: 'http' } } })],
    resolveService: () => ({ ok: true, endpoints: [] }),
  });
  const st = out.statuses.get('default/svc')!;
  assert.equal(st.accepted.status, 'True');
  assert.equal(st.ready.status, 'False');
  assert.equal(st.ready.reason, 'NoReadyEndpoints');
});

test('compile is deterministic: same input, same table order and statuses', () => {
  const routes = [
    route('c', { match: { path: '/{x}' } }),
    route('a', { match: { path: '/a/{x}' } }),
    route('b', { hosts: ['h'], match: { path: '/{x}' } }),
  ];
  const one = compile({ routes });
  const two = compile({ routes: [...routes].reverse() });
  assert.deepEqual(one.table.routes.map((r) => r.key), two.table.routes.map((r) => r.key));
  assert.deepEqual([...one.statuses.entries()], [...two.statuses.entries()]);
});
