// Ocelot routes -> WebSocketRoutes: the documented WebSocket and SignalR routes, Kubernetes
// service discovery, load balancer types, and precedence.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRoute } from '../../src/api/validate.js';
import { stripJsonComments } from '../../src/convert/jsonc.js';
import { convertOcelot } from '../../src/convert/ocelot/convert.js';
import type { ServicePorts } from '../../src/convert/documents.js';
import type { Finding } from '../../src/convert/types.js';

function ocelot(routes: object[], global: object = {}, services: ServicePorts[] = [], key = 'Routes') {
  const out = convertOcelot(JSON.stringify({ [key]: routes, GlobalConfiguration: global }), 'ocelot.json', { namespace: 'default', services });
  for (const r of out.routes) assert.deepEqual(validateRoute(r.route), [], r.origin);
  return out;
}
const fields = (findings: Finding[], level: Finding['level']) => findings.filter((f) => f.level === level).map((f) => f.field);
const KUBE = { ServiceDiscoveryProvider: { Type: 'Kube', Namespace: 'dev' } };

describe('Ocelot routes', () => {
  test('the docs WebSocket route: static endpoints, rewrite, WebSocket only', () => {
    const { routes } = ocelot([{ DownstreamPathTemplate: '/ws', UpstreamPathTemplate: '/', DownstreamScheme: 'ws', DownstreamHostAndPorts: [{ Host: 'localhost', Port: 5001 }] }]);
    assert.deepEqual(routes[0]!.route.spec, { match: { path: '/' }, backend: { endpoints: [{ host: 'localhost', port: 5001 }], scheme: 'ws', path: '/ws' } });
  });

  test('the docs SignalR route: {catchAll} both sides, methods as spec.http', () => {
    const { routes } = ocelot([{ DownstreamPathTemplate: '/{catchAll}', DownstreamScheme: 'ws', DownstreamHostAndPorts: [{ Host: 'localhost', Port: 50000 }], UpstreamPathTemplate: '/gateway/{catchAll}', UpstreamHttpMethod: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'] }]);
    const spec = routes[0]!.route.spec;
    assert.equal(spec.match.path, '/gateway/{catchAll}');
    assert.equal(spec.backend.path, '/{catchAll}');
    assert.deepEqual(spec.http, { methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'] });
  });

  test('only ws and wss routes are converted; ReRoutes is read too', () => {
    const out = ocelot([
      { DownstreamPathTemplate: '/api', UpstreamPathTemplate: '/api', DownstreamScheme: 'https', DownstreamHostAndPorts: [{ Host: 'a', Port: 443 }] },
      { DownstreamPathTemplate: '/s', UpstreamPathTemplate: '/s', DownstreamScheme: 'WSS', DownstreamHostAndPorts: [{ Host: 'a', Port: 443 }] },
    ], {}, [], 'ReRoutes');
    assert.equal(out.routes.length, 1);
    assert.equal(out.routes[0]!.route.spec.backend.scheme, 'wss');
    assert.deepEqual(fields(out.findings, 'note'), ['DownstreamScheme', 'RouteIsCaseSensitive']);
  });

  const kube: Array<{ name: string; scheme: string; services: ServicePorts[]; port: number | string }> = [
    { name: 'port named like the scheme', scheme: 'ws', services: [{ namespace: 'dev', name: 'chat', ports: [{ name: 'http', port: 80 }, { name: 'ws', port: 8080 }] }], port: 'ws' },
    { name: 'else the first port', scheme: 'wss', services: [{ namespace: 'dev', name: 'chat', ports: [{ name: 'grpc', port: 9090 }, { name: 'ws', port: 8080 }] }], port: 'grpc' },
    { name: 'the first port has no name: its number', scheme: 'ws', services: [{ namespace: 'dev', name: 'chat', ports: [{ port: 7000 }] }], port: 7000 },
    { name: 'no Service given: the scheme as port name', scheme: 'ws', services: [], port: 'ws' },
  ];
  for (const c of kube) {
    test(`Kube service discovery: ${c.name}`, () => {
      const { routes, findings } = ocelot([{ UpstreamPathTemplate: '/chat/{everything}', DownstreamPathTemplate: '/{everything}', DownstreamScheme: c.scheme, ServiceName: 'chat' }], KUBE, c.services);
      assert.equal(routes[0]!.route.metadata.namespace, 'dev');
      assert.deepEqual(routes[0]!.route.spec.backend.service, { name: 'chat', port: c.port });
      assert.ok(findings.some((f) => f.field === 'ServiceName' && f.level === 'note'));
    });
  }

  test('ServiceNamespace wins over the provider namespace; Consul is not convertible', () => {
    const ns = ocelot([{ UpstreamPathTemplate: '/a', DownstreamPathTemplate: '/a', DownstreamScheme: 'ws', ServiceName: 'a', ServiceNamespace: 'other' }], KUBE);
    assert.equal(ns.routes[0]!.route.metadata.namespace, 'other');
    const consul = ocelot([{ UpstreamPathTemplate: '/a', DownstreamPathTemplate: '/a', DownstreamScheme: 'ws', ServiceName: 'a' }], { ServiceDiscoveryProvider: { Type: 'Consul', Host: 'localhost', Port: 8500 } });
    assert.equal(consul.routes.length, 0);
    assert.deepEqual(fields(consul.findings, 'unconverted'), ['ServiceName']);
  });

  const lbs: Array<{ type?: string; policy?: string; endpoints: number; affinity?: object }> = [
    { type: 'LeastConnection', policy: 'LeastConnections', endpoints: 2 },
    { type: 'RoundRobin', policy: 'RoundRobin', endpoints: 2 },
    { type: 'NoLoadBalancer', endpoints: 1 },
    { endpoints: 1 },
    { type: 'CookieStickySessions', policy: 'RoundRobin', endpoints: 2, affinity: { cookie: { maxAge: '5m' } } },
  ];
  for (const c of lbs) {
    test(`LoadBalancerOptions.Type ${c.type ?? '(unset)'}`, () => {
      const { routes } = ocelot([{
        UpstreamPathTemplate: '/lb', DownstreamPathTemplate: '/lb', DownstreamScheme: 'ws',
        DownstreamHostAndPorts: [{ Host: '10.0.0.1', Port: 80 }, { Host: '10.0.0.2', Port: 80 }],
        ...(c.type ? { LoadBalancerOptions: { Type: c.type, Key: 'SessionId', Expiry: 300000 } } : {}),
      }]);
      const spec = routes[0]!.route.spec;
      assert.equal(spec.loadBalancer?.policy, c.policy);
      assert.equal(spec.backend.endpoints?.length, c.endpoints);
      assert.deepEqual(spec.sessionAffinity, c.affinity);
    });
  }

  test('DangerousAcceptAnyServerCertificateValidator: insecureSkipVerify with a warning and a comment', () => {
    const { routes, findings } = ocelot([{ UpstreamPathTemplate: '/s', DownstreamPathTemplate: '/s', DownstreamScheme: 'wss', DownstreamHostAndPorts: [{ Host: 'backend', Port: 443 }], DangerousAcceptAnyServerCertificateValidator: true }]);
    assert.deepEqual(routes[0]!.route.spec.backend.tls, { insecureSkipVerify: true });
    assert.deepEqual(fields(findings, 'warning'), ['DangerousAcceptAnyServerCertificateValidator']);
    assert.match(routes[0]!.fieldComments['spec.backend.tls.insecureSkipVerify'] ?? '', /WARNING/);
  });

  test('placeholders that are not identifiers are renamed on both sides; mixed segments are reported', () => {
    const { routes, findings } = ocelot([
      { UpstreamPathTemplate: '/rooms/{room-id}/live', DownstreamPathTemplate: '/live/{room-id}', DownstreamScheme: 'ws', DownstreamHostAndPorts: [{ Host: 'a', Port: 1 }] },
      { UpstreamPathTemplate: '/files/{name}.json', DownstreamPathTemplate: '/{name}', DownstreamScheme: 'ws', DownstreamHostAndPorts: [{ Host: 'a', Port: 1 }] },
    ]);
    assert.equal(routes.length, 1);
    assert.equal(routes[0]!.route.spec.match.path, '/rooms/{room_id}/live');
    assert.equal(routes[0]!.route.spec.backend.path, '/live/{room_id}');
    assert.deepEqual(fields(findings, 'unconverted'), ['UpstreamPathTemplate']);
  });

  test('features Ocelot skips for WebSockets: a note, unless the route keeps plain HTTP', () => {
    const base = { UpstreamPathTemplate: '/a', DownstreamPathTemplate: '/a', DownstreamScheme: 'ws', DownstreamHostAndPorts: [{ Host: 'a', Port: 1 }], AuthenticationOptions: { AuthenticationProviderKey: 'Bearer' }, QoSOptions: { TimeoutValue: 0 } };
    assert.deepEqual(fields(ocelot([base]).findings, 'unconverted'), []);
    assert.deepEqual(fields(ocelot([{ ...base, UpstreamHttpMethod: ['Get', 'Post'] }]).findings, 'unconverted'), ['AuthenticationOptions']);
  });

  const precedence: Array<{ name: string; routes: Array<{ up: string; priority?: number; host?: string; caseSensitive?: boolean }>; reported: string[] }> = [
    { name: 'Priority agreeing with specificity', routes: [{ up: '/goods/{catchAll}', priority: 0 }, { up: '/goods/delete', priority: 1 }], reported: [] },
    { name: 'Priority preferring the catch-all', routes: [{ up: '/goods/{catchAll}', priority: 2 }, { up: '/goods/delete', priority: 1 }], reported: ['Routes[0]: Priority'] },
    { name: 'file order preferring the less specific', routes: [{ up: '/a/{x}' }, { up: '/a/b' }], reported: ['Routes[0]: UpstreamPathTemplate'] },
    { name: 'disjoint templates', routes: [{ up: '/a/{x}', priority: 9 }, { up: '/b/c' }], reported: [] },
    { name: 'hostless route first in Ocelot, the host route in wsgate', routes: [{ up: '/chat', priority: 2 }, { up: '/{all}', host: 'x.example.com' }], reported: ['Routes[0]: UpstreamHost'] },
    { name: 'case-insensitive twins', routes: [{ up: '/Chat' }, { up: '/chat' }], reported: ['Routes[1]: RouteIsCaseSensitive'] },
    { name: 'case-sensitive twins', routes: [{ up: '/Chat', caseSensitive: true }, { up: '/chat', caseSensitive: true }], reported: [] },
  ];
  for (const c of precedence) {
    test(`precedence: ${c.name}`, () => {
      const { findings } = ocelot(c.routes.map((r) => ({
        UpstreamPathTemplate: r.up, DownstreamPathTemplate: '/', DownstreamScheme: 'ws', DownstreamHostAndPorts: [{ Host: 'a', Port: 1 }],
        ...(r.priority !== undefined ? { Priority: r.priority } : {}), ...(r.host ? { UpstreamHost: r.host } : {}), ...(r.caseSensitive ? { RouteIsCaseSensitive: true } : {}),
      })));
      assert.deepEqual(findings.filter((f) => f.level === 'unconverted').map((f) => `${f.object}: ${f.field}`), c.reported);
    });
  }

  test('ocelot.json comments and trailing commas are read as ASP.NET reads them', () => {
    assert.deepEqual(JSON.parse(stripJsonComments('{ // c\n "a": "http://x//y", /* b */ "b": [1, 2,], }')), { a: 'http://x//y', b: [1, 2] });
  });
});
