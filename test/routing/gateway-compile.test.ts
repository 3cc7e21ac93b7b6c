// The HTTPRoute processor and what compile() settles between the two kinds of routes: weights
// and invalid backends, filters, behaviour defaults, keys, WebSocketRoute/HTTPRoute conflicts,
// precedence on a shared socket, Gateway sockets with certificates, incremental == full, the
// worker snapshot round trip, and translate() -> compile() -> lookup on Gateway objects.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { translate } from '../../src/gatewayapi/translate.js';
import { compile, type CompileInput } from '../../src/routing/compile.js';
import { gatewayPortId, MAIN_LISTENER, type GatewayCompileInput } from '../../src/routing/gateway-types.js';
import { HTTPROUTE_METHODS } from '../../src/routing/httproute-processor.js';
import type { SecretResolver, ServiceResolver } from '../../src/routing/types.js';
import { ResolverRecorder, snapshotInput } from '../../src/workers/snapshot.js';
import { makeCa } from '../helpers/certs.js';
import { route } from '../fixtures.js';
import * as gwf from '../gatewayapi/fixtures.js';
import { entry, gatewayInput, request, service, services } from './gateway-entries.js';

const KEY = 'HTTPRoute/apps/r/rule-0/match-0@infra/gw/http';

function compileEntries(entries: Parameters<typeof gatewayInput>[0], extra: Partial<CompileInput> = {}) {
  return compile({ routes: [], resolveService: services, gateway: gatewayInput(entries), ...extra });
}

test('an HTTPRoute entry compiles to a route of kind HTTPRoute on its socket, serving every method', () => {
  const r = compileEntries([entry('r', { hostnames: ['a.example'], headers: [{ name: 'x-a', value: '1' }], method: 'POST', queryParams: [{ name: 'q', value: 'v' }] })]).table.get(KEY)!;
  assert.equal(r.kind, 'HTTPRoute');
  assert.equal(r.listener, 'gw-80');
  assert.deepEqual([r.namespace, r.name, r.generation], ['apps', 'r', 3]);
  assert.deepEqual(r.hosts, ['a.example']);
  assert.deepEqual(r.headers, [{ name: 'x-a', value: '1' }]);
  assert.equal(r.method, 'POST');
  assert.deepEqual(r.queryParams, [{ name: 'q', value: 'v' }]);
  assert.deepEqual(r.http?.methods, ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  assert.deepEqual(HTTPROUTE_METHODS, r.http?.methods);
  assert.equal(r.gateway?.routeKey, 'HTTPRoute/apps/r');
  assert.equal(r.gateway?.ruleKey, 'HTTPRoute/apps/r/rule-0');
  assert.deepEqual(r.gateway?.pathMatch, { type: 'PathPrefix', value: '/' });
});

test('weights, invalid backends and h2c are carried; the route backend is the union of the resolved ones', () => {
  const backends = [
    service('echo', 8080, 3),
    { valid: false as const, weight: 2, reason: 'BackendNotFound' as const, message: 'Service apps/nope not found' },
    service('gone', 8080, 1),
    { ...service('other', 9090, 5), scheme: 'wss' as const, responseHeaders: { set: [{ name: 'x-b', value: '1' }], add: [], remove: [] } },
    { ...service('echo', 8080, 1), protocol: 'h2c' as const },
  ];
  const r = compileEntries([entry('r', { backends })]).table.get(KEY)!;
  const gw = r.gateway!.backends;
  assert.deepEqual(gw.map((b) => [b.weight, b.target?.endpoints.map((e) => e.id) ?? null]), [
    [3, ['10.1.0.1:8080', '10.1.0.2:8080']],
    [2, null],
    [1, null],
    [5, ['10.2.0.1:9090']],
    [1, ['10.1.0.1:8080', '10.1.0.2:8080']],
  ]);
  assert.deepEqual(gw[0]!.target!.eligible.map((e) => e.id), ['10.1.0.1:8080']);
  assert.equal(gw[0]!.target!.scheme, 'ws');
  assert.equal(gw[0]!.target!.tls, undefined);
  assert.equal(gw[3]!.target!.scheme, 'wss');
  assert.equal(gw[3]!.target!.tls?.minVersion, 'TLSv1.2');
  assert.deepEqual(gw[3]!.responseHeaders?.set, [{ name: 'x-b', value: '1' }]);
  // appProtocol kubernetes.io/h2c: the backendRef's plain requests go over h2c, the others' over HTTP/1.1.
  assert.equal(gw[4]!.target!.protocol, 'h2c');
  assert.equal(gw[0]!.target!.protocol, undefined);
  assert.deepEqual(r.backend.endpoints.map((e) => e.id), ['10.1.0.1:8080', '10.1.0.2:8080', '10.2.0.1:9090']);
  assert.deepEqual(r.backend.eligible.map((e) => e.id), ['10.1.0.1:8080', '10.2.0.1:9090']);
  assert.equal(r.backend.scheme, 'ws', 'the first valid backend\'s scheme');
  assert.deepEqual(r.spec.backend.service, { name: 'echo', port: 8080 });

  const none = compileEntries([entry('r', { backends: [] })]).table.get(KEY)!;
  assert.deepEqual(none.gateway!.backends, []);
  assert.deepEqual(none.backend.endpoints, []);
  const standalone = compile({ routes: [], gateway: gatewayInput([entry('r')]) }).table.get(KEY)!;
  assert.equal(standalone.gateway!.backends[0]!.target, undefined, 'without a Service resolver nothing resolves');
});

test('filters and timeouts are carried', () => {
  const filters = {
    requestHeaders: { set: [{ name: 'x-s', value: '1' }], add: [{ name: 'x-a', value: '2' }], remove: ['x-r'] },
    responseHeaders: { set: [], add: [{ name: 'x-o', value: '3' }], remove: [] },
    urlRewrite: { hostname: 'b.example', path: { type: 'ReplacePrefixMatch' as const, value: '/v2' } },
  };
  const r = compileEntries([entry('r', { filters, timeouts: { requestMs: 5000, backendRequestMs: 0 } })]).table.get(KEY)!;
  assert.deepEqual(r.gateway!.requestHeaders, filters.requestHeaders);
  assert.deepEqual(r.gateway!.responseHeaders, filters.responseHeaders);
  assert.deepEqual(r.gateway!.urlRewrite, filters.urlRewrite);
  assert.equal(r.gateway!.requestTimeoutMs, 5000);
  assert.equal(r.gateway!.backendRequestTimeoutMs, 0);
  const redirect = { statusCode: 301 as const, scheme: 'https' as const, port: 443 };
  const red = compileEntries([entry('r', { filters: { redirect }, backends: [] })]).table.get(KEY)!;
  assert.deepEqual(red.gateway!.redirect, redirect);
  assert.equal(red.gateway!.requestTimeoutMs, undefined);
  assert.equal(red.gateway!.listenerPort, 80, 'the Gateway listener port, which a redirect keeps');
  const onMain = compileEntries([entry('r', { filters: { redirect }, backends: [] }, { gateway: 'main', port: 8080 })]).table.get('HTTPRoute/apps/r/rule-0/match-0@infra/main/http')!;
  assert.equal(onMain.gateway!.listenerPort, 8080);
});

test('the bound on the backend\'s answer to an upgrade: a rule\'s non-zero backendRequest, else the policy\'s timeouts.upgrade, else 10 s', () => {
  const upgradeMs = (timeouts: { backendRequestMs?: number }, behaviour = {}) =>
    compileEntries([entry('r', { timeouts }, { behaviour, namespace: 'apps' })]).table.get(KEY)!.timeouts.upgradeMs;
  assert.equal(upgradeMs({}), 10_000);
  assert.equal(upgradeMs({}, { timeouts: { upgrade: '2s' } }), 2000);
  assert.equal(upgradeMs({ backendRequestMs: 1500 }, { timeouts: { upgrade: '2s' } }), 1500);
  assert.equal(upgradeMs({ backendRequestMs: 0 }, { timeouts: { upgrade: '2s' } }), 2000, 'backendRequest 0s (no limit) leaves the upgrade bounded');
  assert.equal(upgradeMs({ backendRequestMs: 99_999 * 3_600_000 }), 2 ** 31 - 1, 'never more than a timer holds');
});

test('behaviour: WebSocketRoute defaults without a policy (idle 1h, not 60s); a policy\'s values and security', () => {
  const r = compileEntries([entry('r')]).table.get(KEY)!;
  assert.deepEqual(r.timeouts, { connectMs: 5000, idleMs: 3_600_000, upgradeMs: 10_000, maxLifetimeMs: 0 });
  assert.equal(r.drainTimeoutMs, 30_000);
  assert.equal(r.policy, 'LeastConnections');
  assert.equal(r.spec.timeouts?.idle, '1h');
  assert.equal(r.spec.match.path, '/');
  assert.deepEqual(r.spec.http?.methods, [...HTTPROUTE_METHODS]);
  assert.equal(r.security?.unresolved, undefined);
  assert.equal(r.affinity, undefined);

  const behaviour = {
    loadBalancer: { policy: 'ConsistentHash' as const, hashOn: { header: 'x-user' } },
    timeouts: { idle: '90s', upgrade: '3s', maxLifetime: '10m' },
    drain: { timeout: '5s' },
    limits: { maxConnections: 7 },
    security: { allowedOrigins: ['https://a.example'], auth: { apiKeys: { secretRef: { name: 'keys' } } } },
    sessionAffinity: { cookie: { name: 'aff', maxAge: '2h' } },
  };
  const asked: string[] = [];
  const secrets: SecretResolver = (namespace, name) => {
    asked.push(`${namespace}/${name}`);
    return { ok: false, reason: 'SecretNotFound', message: `Secret ${namespace}/${name} not found` };
  };
  const p = compileEntries([entry('r', {}, { behaviour, namespace: 'apps' })], { resolveSecret: secrets }).table.get(KEY)!;
  assert.equal(p.policy, 'ConsistentHash');
  assert.deepEqual(p.hashOn, { header: 'x-user' });
  assert.deepEqual(p.timeouts, { connectMs: 5000, idleMs: 90_000, upgradeMs: 3000, maxLifetimeMs: 600_000 });
  assert.equal(p.drainTimeoutMs, 5000);
  assert.equal(p.security?.limits.maxConnections, 7);
  assert.equal(p.security?.origin.any, false);
  assert.deepEqual(asked, ['apps/keys'], 'auth Secrets are looked up in the policy\'s namespace');
  assert.equal(p.security?.unresolved?.reason, 'SecretNotFound', 'an unresolved auth Secret fails closed');
  assert.equal(p.affinity?.name, 'aff');
  assert.equal(p.affinity?.maxAgeSeconds, 7200);
});

test('a policy\'s messages and keepalive compile into the HTTPRoute entry as they do for a WebSocketRoute', () => {
  assert.equal(compileEntries([entry('r')]).table.get(KEY)!.messages, undefined);
  const behaviour = { messages: { maxBytes: '1Mi', rate: { perSecond: 5 } }, keepalive: { pingInterval: '20s' } };
  const r = compileEntries([entry('r', {}, { behaviour, namespace: 'apps' })]).table.get(KEY)!;
  assert.deepEqual(r.messages, { maxBytes: 1048576, maxBytesFromBackend: 0, rate: { perSecond: 5, burst: 5 }, onRateExceeded: 'Throttle' });
  assert.deepEqual(r.keepalive, { pingIntervalMs: 20_000, pongTimeoutMs: 10_000 });
});

test('a WebSocketRoute ns/name and an HTTPRoute of the same name never share a key', () => {
  const out = compile({
    routes: [route('r', { match: { path: '/w' } }, { namespace: 'apps' })],
    resolveService: services,
    gateway: gatewayInput([entry('r', {}, { gateway: 'main', port: 8080 })]),
  });
  assert.deepEqual(out.table.routes.map((r) => r.key).sort(), ['HTTPRoute/apps/r/rule-0/match-0@infra/main/http', 'apps/r']);
  assert.equal(out.table.get('apps/r')?.kind, undefined);
  assert.equal(out.table.get('HTTPRoute/apps/r/rule-0/match-0@infra/main/http')?.kind, 'HTTPRoute');
  assert.deepEqual([...out.statuses.keys()], ['apps/r']);
});

const onMain = { gateway: 'main', port: 8080 };
const conflictCases: Array<{ name: string; wsrCreated: string; entryCreated: string; wsrPath: string; entryPath: { type: 'Exact' | 'PathPrefix'; value: string }; winner: 'wsr' | 'entry' | 'both' }> = [
  { name: 'older WebSocketRoute wins over a PathPrefix of the same shape', wsrCreated: '2025-01-01T00:00:00Z', entryCreated: '2026-01-01T00:00:00Z', wsrPath: '/a/{rest}', entryPath: { type: 'PathPrefix', value: '/a' }, winner: 'wsr' },
  { name: 'older HTTPRoute wins over a WebSocketRoute of the same shape', wsrCreated: '2026-06-01T00:00:00Z', entryCreated: '2026-01-01T00:00:00Z', wsrPath: '/a/{rest}', entryPath: { type: 'PathPrefix', value: '/a' }, winner: 'entry' },
  { name: 'Exact /a and a literal /a conflict', wsrCreated: '2026-06-01T00:00:00Z', entryCreated: '2026-01-01T00:00:00Z', wsrPath: '/a', entryPath: { type: 'Exact', value: '/a' }, winner: 'entry' },
  { name: 'the same age: the lower key wins (apps/w before HTTPRoute/...)', wsrCreated: '2026-01-01T00:00:00Z', entryCreated: '2026-01-01T00:00:00Z', wsrPath: '/a/{rest}', entryPath: { type: 'PathPrefix', value: '/a' }, winner: 'entry' },
  { name: 'different shapes do not conflict', wsrCreated: '2025-01-01T00:00:00Z', entryCreated: '2026-01-01T00:00:00Z', wsrPath: '/a', entryPath: { type: 'PathPrefix', value: '/a' }, winner: 'both' },
];

for (const c of conflictCases) {
  test(`conflict on a shared socket: ${c.name}`, () => {
    const out = compile({
      routes: [route('w', { match: { path: c.wsrPath } }, { namespace: 'apps', creationTimestamp: c.wsrCreated })],
      resolveService: services,
      gateway: gatewayInput([entry('r', { path: c.entryPath }, { ...onMain, created: c.entryCreated })]),
    });
    const entryKey = 'HTTPRoute/apps/r/rule-0/match-0@infra/main/http';
    const wsr = out.statuses.get('apps/w')!;
    if (c.winner === 'both') {
      assert.equal(wsr.accepted.status, 'True');
      assert.equal(out.gatewayConflicts.size, 0);
      assert.ok(out.table.get(entryKey) && out.table.get('apps/w'));
      return;
    }
    if (c.winner === 'wsr') {
      assert.equal(wsr.accepted.status, 'True');
      assert.equal(out.table.get(entryKey), undefined);
      assert.match(out.gatewayConflicts.get('HTTPRoute/apps/r') ?? '', /conflicts with WebSocketRoute apps\/w/);
    } else {
      assert.deepEqual([wsr.accepted.status, wsr.accepted.reason], ['False', 'Conflict']);
      assert.match(wsr.accepted.message, /conflicts with HTTPRoute apps\/r/);
      assert.equal(out.table.get('apps/w'), undefined);
      assert.ok(out.table.get(entryKey));
      assert.equal(out.gatewayConflicts.size, 0);
    }
  });
}

test('no conflict across sockets, hosts, or when the entry adds a method or query condition', () => {
  const wsr = route('w', { match: { path: '/a/{rest}' } }, { namespace: 'apps', creationTimestamp: '2025-01-01T00:00:00Z' });
  // In translate's order: method before query parameters before neither.
  const entries = [
    entry('gw', { path: { type: 'PathPrefix', value: '/a' } }, { gateway: 'gw' }),
    entry('method', { path: { type: 'PathPrefix', value: '/a' }, method: 'GET' }, onMain),
    entry('query', { path: { type: 'PathPrefix', value: '/a' }, queryParams: [{ name: 'x', value: '1' }] }, onMain),
    entry('host', { path: { type: 'PathPrefix', value: '/a' }, hostnames: ['b.example'] }, onMain),
  ];
  const out = compile({ routes: [wsr], resolveService: services, gateway: gatewayInput(entries) });
  assert.equal(out.statuses.get('apps/w')!.accepted.status, 'True');
  assert.equal(out.gatewayConflicts.size, 0);
  assert.equal(out.table.routes.length, 5);
  // More conditions: more specific, so the method and query entries come first on the main socket.
  assert.equal(out.table.lookup(request('/a/x', { query: 'x=1', method: 'POST' }))?.route.name, 'query');
  assert.equal(out.table.lookup(request('/a/x', { method: 'GET' }))?.route.name, 'method');
  assert.equal(out.table.lookup(request('/a/x', { method: 'POST' }))?.route.key, 'apps/w');
  assert.equal(out.table.lookup(request('/a/x', { method: 'POST', host: 'b.example' }))?.route.name, 'host');
});

test('several entries of one HTTPRoute losing: one gatewayConflicts message per distinct conflict', () => {
  const wsr = route('w', { match: { path: '/a/{rest}' }, hosts: ['a.example', 'b.example'] }, { namespace: 'apps', creationTimestamp: '2025-01-01T00:00:00Z' });
  const entries = [
    entry('r', { path: { type: 'PathPrefix', value: '/a' }, hostnames: ['a.example'] }, { ...onMain, match: 0 }),
    entry('r', { path: { type: 'PathPrefix', value: '/a' }, hostnames: ['b.example'] }, { ...onMain, match: 1 }),
  ];
  const out = compile({ routes: [wsr], resolveService: services, gateway: gatewayInput(entries) });
  const msg = out.gatewayConflicts.get('HTTPRoute/apps/r')!;
  assert.match(msg, /same host "a.example"/);
  assert.match(msg, /same host "b.example"/);
  assert.equal(out.table.routes.length, 1);
});

test('precedence on a shared socket: the more specific route wins whatever its kind; each kind keeps its order', () => {
  const routes = [route('ws-deep', { match: { path: '/a/b/{rest}' } }, { namespace: 'apps' }), route('ws-any', { match: { path: '/{rest}' } }, { namespace: 'apps' })];
  const entries = [
    entry('exact', { path: { type: 'Exact', value: '/a/b' } }, onMain),
    entry('prefix-a', { path: { type: 'PathPrefix', value: '/a' } }, onMain),
    entry('root', { path: { type: 'PathPrefix', value: '/' } }, onMain),
  ];
  const out = compile({ routes, resolveService: services, gateway: gatewayInput(entries) });
  const t = out.table;
  // PathPrefix / and /{rest} claim the same requests: the older (the WebSocketRoute) keeps them.
  assert.deepEqual(t.routes.map((r) => r.name), ['exact', 'ws-deep', 'prefix-a', 'ws-any']);
  assert.match(out.gatewayConflicts.get('HTTPRoute/apps/root') ?? '', /conflicts with WebSocketRoute apps\/ws-any/);
  assert.equal(t.lookup(request('/a/b'))?.route.name, 'exact');
  assert.equal(t.lookup(request('/a/b/'))?.route.name, 'ws-deep');
  assert.equal(t.lookup(request('/a/c'))?.route.name, 'prefix-a');
  assert.equal(t.lookup(request('/z'))?.route.name, 'ws-any');
});

let pair = { cert: '', key: '' };
before(() => {
  pair = makeCa('gateway compile test CA').issue('a.example', ['a.example']);
});

function secretsFrom(known: Record<string, Record<string, string>>): SecretResolver {
  return (namespace, name) => {
    const data = known[`${namespace}/${name}`];
    return data
      ? { ok: true, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) }
      : { ok: false, reason: 'SecretNotFound', message: `Secret ${namespace}/${name} not found` };
  };
}

test('the table carries the Gateway sockets; certificates that resolve and parse, the others skipped', () => {
  const gateway: GatewayCompileInput = {
    ...gatewayInput([]),
    sockets: [
      { key: 'gw-80', address: '10.0.0.1', port: 80, protocol: 'HTTP', certificates: [] },
      {
        key: 'gw-443',
        address: '10.0.0.1',
        port: 443,
        protocol: 'HTTPS',
        certificates: [
          { namespace: 'infra', name: 'good', hostname: 'A.example' },
          { namespace: 'infra', name: 'missing' },
          { namespace: 'infra', name: 'broken' },
          { namespace: 'infra', name: 'good' },
        ],
      },
    ],
  };
  const resolveSecret = secretsFrom({ 'infra/good': { 'tls.crt': pair.cert, 'tls.key': pair.key }, 'infra/broken': { 'tls.crt': 'nope', 'tls.key': 'nope' } });
  const out = compile({ routes: [], gateway, resolveSecret });
  const [http, https] = out.table.listeners;
  assert.deepEqual({ ...http }, { key: 'gw-80', address: '10.0.0.1', port: 80, protocol: 'HTTP', certificates: [] });
  assert.equal(https!.protocol, 'HTTPS');
  assert.deepEqual(https!.certificates.map((c) => [c.hostname, c.tls.secret]), [['a.example', 'infra/good'], ['', 'infra/good']]);
  assert.ok(https!.certificates[0]!.tls.context);
  assert.deepEqual(compile({ routes: [], gateway }).table.listeners[1]!.certificates, [], 'no Secret resolver: no certificates');
  assert.deepEqual(compile({ routes: [] }).table.listeners, []);
  // Reused as long as the socket and its Secrets are unchanged.
  const again = compile({ routes: [], gateway, resolveSecret }, out);
  assert.equal(again.table.listeners[1], https);
});

test('incremental compile equals a full compile across gateway changes, and reuses unchanged entries', () => {
  const resolveSecret = secretsFrom({});
  let endpoints = 1;
  const resolver: ServiceResolver = (namespace, ref) => {
    const r = services(namespace, ref);
    return ref.name === 'other' && r.ok ? { ok: true, endpoints: r.endpoints.slice(0, endpoints) } : r;
  };
  const wsrs = [route('w', { match: { path: '/a/{rest}' } }, { namespace: 'apps', creationTimestamp: '2027-01-01T00:00:00Z' }), route('x', { match: { path: '/x' } })];
  const e1 = entry('one', { path: { type: 'PathPrefix', value: '/a' } }, { ...onMain, created: '2026-01-01T00:00:00Z' });
  const e2 = entry('two', { backends: [service('other', 9090)] }, { gateway: 'gw' });
  const e3 = entry('three', { method: 'GET' }, { gateway: 'other' });
  const steps: Array<{ what: string; routes: typeof wsrs; entries: Parameters<typeof gatewayInput>[0]; endpoints?: number }> = [
    { what: 'start', routes: wsrs, entries: [e1, e2] },
    { what: 'nothing changed', routes: wsrs, entries: [e1, e2] },
    { what: 'endpoints of other gone', routes: wsrs, entries: [e1, e2], endpoints: 0 },
    { what: 'entry added', routes: wsrs, entries: [e1, e2, e3] },
    { what: 'entry replaced', routes: wsrs, entries: [e1, { ...e2, method: 'POST' }, e3] },
    { what: 'the conflicting entry removed', routes: wsrs, entries: [e2, e3] },
    { what: 'a WebSocketRoute removed', routes: [wsrs[1]!], entries: [e1, e2, e3] },
    { what: 'no gateway', routes: wsrs, entries: [] },
  ];
  let previous: ReturnType<typeof compile> | undefined;
  let reused = 0;
  steps.forEach((s, i) => {
    if (s.endpoints !== undefined) endpoints = s.endpoints;
    const input: CompileInput = { routes: s.routes, resolveService: resolver, resolveSecret, version: i, ...(s.entries.length ? { gateway: gatewayInput(s.entries) } : {}) };
    const incremental = compile(input, previous);
    const full = compile(input);
    assert.deepEqual(incremental.table, full.table, s.what);
    assert.deepEqual(incremental.statuses, full.statuses, s.what);
    assert.deepEqual(incremental.gatewayConflicts, full.gatewayConflicts, s.what);
    if (previous) reused += incremental.table.routes.filter((r) => r.kind === 'HTTPRoute' && previous!.table.get(r.key) === r).length;
    previous = incremental;
  });
  assert.ok(reused >= 4, `only ${reused} HTTPRoute entries were reused`);
});

test('the worker snapshot carries the gateway input: a worker compiles the same table', () => {
  const resolveSecret = secretsFrom({ 'infra/good': { 'tls.crt': pair.cert, 'tls.key': pair.key } });
  const gateway: GatewayCompileInput = {
    ...gatewayInput([entry('r', { backends: [service('echo', 8080, 2), service('gone', 1, 1)] }, { gateway: 'gw' }), entry('m', {}, onMain)]),
    sockets: [{ key: 'gw-80', address: '10.0.0.1', port: 80, protocol: 'HTTPS', certificates: [{ namespace: 'infra', name: 'good' }] }],
  };
  const routes = [route('w', { match: { path: '/w' } })];
  const rec = new ResolverRecorder(services, resolveSecret);
  const main = compile({ routes, resolveService: rec.resolveService, resolveSecret: rec.resolveSecret, version: 7, gateway });
  // What postMessage does to it.
  const posted = structuredClone(rec.snapshot(7, routes, gateway));
  const worker = compile(snapshotInput(posted));
  assert.deepEqual(worker.table, main.table);
  assert.equal(worker.table.listeners[0]!.certificates.length, 1);
  assert.equal(worker.table.lookup(request('/', { listener: 'gw-80' }))?.route.name, 'r');
});

test('end to end: translate() output -> compile() -> lookup on a small set of Gateway objects', () => {
  const out = translate(
    gwf.input({
      gateways: [gwf.gateway('gw', [gwf.listener('http', { port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } })])],
      services: [gwf.service('echo'), gwf.service('other', 'apps', [{ name: 'ws', port: 9090 }])],
      httpRoutes: [
        gwf.route('chat', {
          hostnames: ['chat.example'],
          rules: [
            gwf.rule({ matches: [{ path: { type: 'Exact', value: '/live' } }], backendRefs: [{ name: 'other', port: 9090 }] }),
            gwf.rule({ matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'POST' }] }),
            gwf.rule({ matches: [{ path: { type: 'PathPrefix', value: '/' }, queryParams: [{ name: 'v', value: '2' }] }], backendRefs: [{ name: 'echo', port: 8080, weight: 1 }, { name: 'nope', port: 1, weight: 1 }] }),
          ],
        }),
      ],
    }),
  );
  assert.ok(out.routes.length >= 3);
  const gateway: GatewayCompileInput = {
    entries: out.routes,
    sockets: [{ key: 'gw-80', address: '0.0.0.0', port: 80, protocol: 'HTTP', certificates: [] }],
    socketOf: { [gatewayPortId('infra', 'gw', 80)]: 'gw-80' },
  };
  const resolveService: ServiceResolver = (namespace, ref) =>
    services(namespace, ref.name === 'other' ? { name: 'other', port: ref.port } : ref);
  const t = compile({ routes: [route('w', { match: { path: '/{rest}' } })], resolveService, gateway }).table;
  const at = (path: string, o: Parameters<typeof request>[1] = {}) => t.lookup(request(path, { host: 'chat.example', listener: 'gw-80', ...o }))?.route;
  assert.equal(at('/live')?.gateway?.ruleKey, 'HTTPRoute/apps/chat/rule-0');
  assert.deepEqual(at('/live')?.backend.endpoints.map((e) => e.id), ['10.2.0.1:9090']);
  assert.equal(at('/live/'), undefined, 'Exact /live does not take /live/');
  assert.equal(at('/api/x', { method: 'POST' })?.gateway?.ruleKey, 'HTTPRoute/apps/chat/rule-1');
  assert.equal(at('/api/x', { method: 'GET' }), undefined);
  const v2 = at('/anything', { query: 'v=2' });
  assert.equal(v2?.gateway?.ruleKey, 'HTTPRoute/apps/chat/rule-2');
  assert.deepEqual(v2?.gateway?.backends.map((b) => [b.weight, b.target !== undefined]), [[1, true], [1, false]]);
  assert.equal(at('/anything'), undefined);
  assert.equal(at('/live', { host: 'other.example' }), undefined, 'the route\'s hostnames');
  assert.equal(t.lookup(request('/live', { host: 'chat.example' }))?.route.key, 'default/w', 'the main socket has the WebSocketRoute only');
  assert.equal(t.lookup(request('/live', { host: 'chat.example', listener: MAIN_LISTENER }))?.route.kind, undefined);
});
