// HTTPRoute entries in the routing table: Gateway API path semantics, method and query
// conditions, and listener isolation (a request only sees the routes of its socket).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/routing/compile.js';
import { MAIN_LISTENER } from '../../src/routing/gateway-types.js';
import type { GatewayRouteEntry } from '../../src/gatewayapi/model.js';
import { route } from '../fixtures.js';
import { entry, gatewayInput, request, services } from './gateway-entries.js';

function table(entries: GatewayRouteEntry[], routes = [route('wsr', { match: { path: '/{rest}' } })]) {
  return compile({ routes, resolveService: services, gateway: gatewayInput(entries) }).table;
}

const cases: Array<{ name: string; path: GatewayRouteEntry['path']; yes: string[]; no: string[] }> = [
  { name: 'Exact /a', path: { type: 'Exact', value: '/a' }, yes: ['/a'], no: ['/a/', '/ab', '/a/b', '/'] },
  { name: 'Exact /a/', path: { type: 'Exact', value: '/a/' }, yes: ['/a/'], no: ['/a', '/a/b', '/a//'] },
  { name: 'Exact /', path: { type: 'Exact', value: '/' }, yes: ['/'], no: ['/a', '//'] },
  { name: 'Exact /a/b', path: { type: 'Exact', value: '/a/b' }, yes: ['/a/b'], no: ['/a/b/', '/a', '/a/bc'] },
  { name: 'PathPrefix /a', path: { type: 'PathPrefix', value: '/a' }, yes: ['/a', '/a/', '/a/b', '/a/b/c/'], no: ['/ab', '/', '/b/a'] },
  { name: 'PathPrefix /a/ (trailing slash ignored)', path: { type: 'PathPrefix', value: '/a/' }, yes: ['/a', '/a/', '/a/b'], no: ['/ab', '/'] },
  { name: 'PathPrefix /', path: { type: 'PathPrefix', value: '/' }, yes: ['/', '/a', '/a/b/', '//x'], no: [] },
  { name: 'PathPrefix /a/b', path: { type: 'PathPrefix', value: '/a/b' }, yes: ['/a/b', '/a/b/', '/a/b/c'], no: ['/a', '/a/bc', '/a/'] },
];

for (const c of cases) {
  test(`path ${c.name}`, () => {
    const t = table([entry('r', { path: c.path }, { gateway: 'gw' })], []);
    for (const p of c.yes) assert.equal(t.lookup(request(p, { listener: 'gw-80' }))?.route.key, 'HTTPRoute/apps/r/rule-0/match-0@infra/gw/http', `${c.name} should match ${p}`);
    for (const p of c.no) assert.equal(t.lookup(request(p, { listener: 'gw-80' })), null, `${c.name} should not match ${p}`);
  });
}

test('PathPrefix captures the rest of the path after the prefix', () => {
  const t = table([entry('r', { path: { type: 'PathPrefix', value: '/a' } })], []);
  assert.deepEqual(t.lookup(request('/a/b/c', { listener: 'gw-80' }))?.params, { prefixRest: 'b/c' });
  assert.deepEqual(t.lookup(request('/a', { listener: 'gw-80' }))?.params, { prefixRest: '' });
});

test('path values are matched in the normalised form of requests; the rewrite prefix is in that form too', () => {
  const t = table([entry('r', { path: { type: 'PathPrefix', value: '/caf%c3%a9/%61pi' } })], []);
  const m = t.lookup(request('/caf%C3%A9/api/x', { listener: 'gw-80' }));
  assert.deepEqual(m?.params, { prefixRest: 'x' });
  assert.equal(m?.route.gateway?.pathMatch.value, '/caf%C3%A9/api');
});

test('Exact wins over PathPrefix, longer prefix over shorter, in translate order', () => {
  const t = table(
    [
      entry('exact', { path: { type: 'Exact', value: '/a/b' } }),
      entry('long', { path: { type: 'PathPrefix', value: '/a/b' } }),
      entry('short', { path: { type: 'PathPrefix', value: '/a' } }),
    ],
    [],
  );
  const at = (p: string) => t.lookup(request(p, { listener: 'gw-80' }))?.route.name;
  assert.equal(at('/a/b'), 'exact');
  assert.equal(at('/a/b/'), 'long');
  assert.equal(at('/a/b/c'), 'long');
  assert.equal(at('/a/c'), 'short');
});

test('method is a match condition; a request without a method is an upgrade (GET)', () => {
  const t = table([entry('post', { method: 'POST', path: { type: 'PathPrefix', value: '/a' } }), entry('any', { path: { type: 'PathPrefix', value: '/a' } })], []);
  const at = (method?: string) => t.lookup(request('/a', { listener: 'gw-80', ...(method ? { method } : {}) }))?.route.name;
  assert.equal(at('POST'), 'post');
  assert.equal(at('GET'), 'any');
  assert.equal(at(), 'any');
  assert.equal(at('post'), 'any', 'methods are case-sensitive');
  const only = table([entry('get', { method: 'GET' })], []);
  assert.equal(only.lookup(request('/', { listener: 'gw-80' }))?.route.name, 'get');
  assert.equal(only.lookup(request('/', { listener: 'gw-80', method: 'DELETE' })), null);
});

test('query parameters: exact values, case-sensitive names, the first of a repeated name, decoded', () => {
  const t = table(
    [
      entry('two', { queryParams: [{ name: 'a', value: '1' }, { name: 'b', value: 'x y' }] }),
      entry('one', { queryParams: [{ name: 'a', value: '1' }] }),
      entry('none', {}),
    ],
    [],
  );
  const at = (query?: string) => t.lookup(request('/p', { listener: 'gw-80', ...(query !== undefined ? { query } : {}) }))?.route.name;
  assert.equal(at('a=1&b=x%20y'), 'two');
  assert.equal(at('b=x+y&a=1'), 'two');
  assert.equal(at('a=1'), 'one');
  assert.equal(at('a=1&a=2'), 'one');
  assert.equal(at('a=2&a=1'), 'none', 'a repeated name: only the first value counts');
  assert.equal(at('A=1'), 'none');
  assert.equal(at('a=10'), 'none');
  assert.equal(at(''), 'none');
  assert.equal(at(), 'none');
  // The parse of one query string is not carried over to the next.
  assert.equal(at('a=1'), 'one');
  assert.equal(at('a=3'), 'none');
});

test('listener isolation: the same path on two sockets and on the main one', () => {
  const t = table([entry('on-gw', {}, { gateway: 'gw' }), entry('on-other', {}, { gateway: 'other' })]);
  assert.equal(t.lookup(request('/x', { listener: 'gw-80' }))?.route.name, 'on-gw');
  assert.equal(t.lookup(request('/x', { listener: 'other-80' }))?.route.name, 'on-other');
  assert.equal(t.lookup(request('/x', { listener: MAIN_LISTENER }))?.route.key, 'default/wsr');
  assert.equal(t.lookup(request('/x'))?.route.key, 'default/wsr', 'no listener: the main socket');
  assert.equal(t.lookup(request('/x', { listener: 'nowhere' })), null);
});

test('an entry whose Gateway port maps to the main socket is served there beside the WebSocketRoutes', () => {
  const t = table([entry('main', { path: { type: 'PathPrefix', value: '/api' } }, { gateway: 'main', port: 8080 })]);
  assert.equal(t.lookup(request('/api/x'))?.route.name, 'main');
  assert.equal(t.lookup(request('/api/x'))?.route.listener, MAIN_LISTENER);
  assert.equal(t.lookup(request('/other'))?.route.key, 'default/wsr');
  assert.equal(t.lookup(request('/api/x', { listener: 'gw-80' })), null);
});

test('an entry whose listener has no socket is not served', () => {
  const t = table([entry('lost', {}, { gateway: 'unmapped' })], []);
  assert.equal(t.routes.length, 0);
});

test('hosts: exact and *.suffix as for WebSocketRoutes, [] any', () => {
  const t = table([entry('exact', { hostnames: ['a.example'] }), entry('wild', { hostnames: ['*.example'] }), entry('any', {})], []);
  const at = (host: string) => t.lookup(request('/', { listener: 'gw-80', host }))?.route.name;
  assert.equal(at('a.example'), 'exact');
  assert.equal(at('b.example'), 'wild');
  assert.equal(at('x.b.example'), 'wild');
  assert.equal(at('example'), 'any');
});

test('listener isolation on one socket: a request is served only by the most specific listener hostname matching its host', () => {
  // The conformance suite's GatewayHTTPListenerIsolation: four listeners on port 80 of one Gateway.
  const on = (name: string, hostname: string, path: string, hostnames: string[]) => {
    const e = entry(name, { path: { type: 'PathPrefix', value: path }, hostnames }, { listener: name });
    return { ...e, listener: { ...e.listener, hostname } };
  };
  const t = table(
    [
      on('empty', '', '/empty', []),
      on('wild', '*.example.com', '/wild', ['*.example.com']),
      on('wildfoo', '*.foo.example.com', '/wildfoo', ['*.foo.example.com']),
      on('abc', 'abc.foo.example.com', '/abc', ['abc.foo.example.com']),
    ],
    [],
  );
  const at = (host: string, p: string) => t.lookup(request(p, { host, listener: 'gw-80' }))?.route.name ?? null;
  assert.equal(at('bar.com', '/empty'), 'empty');
  assert.equal(at('bar.example.com', '/empty'), null, 'bar.example.com belongs to *.example.com');
  assert.equal(at('bar.example.com', '/wild'), 'wild');
  assert.equal(at('bar.foo.example.com', '/wild'), null, 'bar.foo.example.com belongs to *.foo.example.com');
  assert.equal(at('bar.foo.example.com', '/wildfoo'), 'wildfoo');
  assert.equal(at('abc.foo.example.com', '/wildfoo'), null);
  assert.equal(at('abc.foo.example.com', '/abc'), 'abc');
  assert.equal(at('example.com', '/wild'), null, '*.example.com does not match example.com');
  assert.equal(at('example.com', '/empty'), 'empty');
});
