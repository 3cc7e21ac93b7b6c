// The vendored Gateway API CRDs and the WebSocketPolicy CRD against the real apiserver: they
// install (server-side apply, as upstream recommends for their size), objects users write are
// accepted and bad policies refused by the schema's CEL rules, and the statuses the translator
// computes are accepted by the status subresources' schemas. Also: the vendored bytes are the
// release module's (needs Go; in CI=true a missing Go is a failure, elsewhere a skip).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { translate } from '../../src/gatewayapi/translate.js';
import type { Gateway, GatewayClass, HTTPRoute, ReferenceGrant, Service, WebSocketPolicy } from '../../src/gatewayapi/types.js';
import { repoRoot } from '../../test/helpers/wsgate-child.js';
import { clusterAvailable, kubectl, kubectlOk, toYaml } from '../helpers/cluster.js';
import { deleteGatewayTestObjects } from '../helpers/gateway-api.js';

const run = promisify(execFile);
const goAvailable = ['/usr/local/go/bin/go', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'go'))].some((p) => fs.existsSync(p));

describe('vendored Gateway API CRDs are the release\'s bytes', () => {
  test('e2e/gateway/check-crds.sh', { skip: !goAvailable && process.env.CI !== 'true' && 'Go is not installed' }, async () => {
    assert.ok(goAvailable, 'CI=true needs Go to check the vendored CRDs against sigs.k8s.io/gateway-api');
    const { stdout } = await run('bash', [path.join(repoRoot, 'e2e/gateway/check-crds.sh')], { cwd: repoRoot, timeout: 300_000 });
    assert.match(stdout, /ok: \d+ files identical to sigs\.k8s\.io\/gateway-api@v1\.6\.3/);
  });
});

const ns = `gw-crds-${process.pid}-${Date.now() % 100000}`;
const className = `wsgate-${ns}`;

describe('Gateway API and WebSocketPolicy CRDs on a real apiserver', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  before(async () => {
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', path.join(repoRoot, 'crds/gateway-api')]);
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    const names = ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants', 'grpcroutes', 'backendtlspolicies', 'listenersets'].map((k) => `crd/${k}.gateway.networking.k8s.io`);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...names, 'crd/websocketpolicies.wsgate.io', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', ns]);
  });
  after(async () => {
    await deleteGatewayTestObjects(ns, className);
  });

  test('every vendored CRD is Established with its bundle-version annotation', async () => {
    const out = JSON.parse(await kubectlOk(['get', 'crd', '-o', 'json'])) as { items: Array<{ metadata: { name: string; annotations?: Record<string, string> }; status: { conditions: Array<{ type: string; status: string }> } }> };
    const ours = out.items.filter((c) => c.metadata.name.endsWith('.gateway.networking.k8s.io'));
    assert.equal(ours.length, fs.readdirSync(path.join(repoRoot, 'crds/gateway-api')).filter((f) => !f.includes('_vap_')).length);
    for (const c of ours) {
      assert.equal(c.metadata.annotations?.['gateway.networking.k8s.io/bundle-version'], 'v1.6.3', c.metadata.name);
      assert.ok(c.status.conditions.some((x) => x.type === 'Established' && x.status === 'True'), `${c.metadata.name} Established`);
    }
    await kubectlOk(['get', 'validatingadmissionpolicy', 'safe-upgrades.gateway.networking.k8s.io']);
  });

  const gatewayClass: GatewayClass = { metadata: { name: className }, spec: { controllerName: 'wsgate.io/gateway-controller' } };
  const gateway: Gateway = {
    metadata: { name: 'gw', namespace: ns },
    spec: { gatewayClassName: className, listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } }] },
  };
  const httpRoute: HTTPRoute = {
    metadata: { name: 'chat', namespace: ns },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: ['chat.example.com'],
      rules: [
        {
          name: 'live',
          matches: [{ path: { type: 'PathPrefix', value: '/live' }, headers: [{ name: 'x-tenant', value: 'a' }] }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-via', value: 'wsgate' }] } }],
          backendRefs: [{ name: 'chat', port: 8080, weight: 3 }, { name: 'missing', port: 8080, weight: 1 }],
          timeouts: { request: '10s' },
        },
      ],
    },
  };
  const service: Service = { metadata: { name: 'chat', namespace: ns }, spec: { ports: [{ name: 'ws', port: 8080, appProtocol: 'kubernetes.io/ws' }] } };
  const grant: ReferenceGrant = {
    metadata: { name: 'routes-in', namespace: ns },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default' }], to: [{ group: '', kind: 'Service' }] },
  };
  const wsPolicy = (name: string, spec: Record<string, unknown>): object => ({ apiVersion: 'wsgate.io/v1alpha1', kind: 'WebSocketPolicy', metadata: { name, namespace: ns }, spec });
  const goodPolicy = wsPolicy('chat-ws', {
    targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'chat' }, { group: '', kind: 'Service', name: 'chat', sectionName: 'ws' }],
    timeouts: { idle: '10m', maxLifetime: '24h' },
    drain: { timeout: '45s' },
    rebalance: { tolerance: 0.2, maxClosesPerSecond: 5 },
    limits: { maxConnections: 1000, maxConnectionsPerClient: 10 },
    loadBalancer: { policy: 'LeastConnections' },
    sessionAffinity: { cookie: { name: 'chat-affinity' } },
    security: { allowedOrigins: ['https://app.example.com'] },
  });

  test('GatewayClass, Gateway, HTTPRoute, ReferenceGrant and a WebSocketPolicy are accepted; the policy is defaulted like a WebSocketRoute', async () => {
    const objects = [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', ...gatewayClass },
      { apiVersion: 'v1', kind: 'Service', ...service },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', ...gateway },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', ...httpRoute },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'ReferenceGrant', ...grant },
      goodPolicy,
    ];
    await kubectlOk(['apply', '-f', '-'], toYaml(objects));
    const p = JSON.parse(await kubectlOk(['get', 'websocketpolicy', 'chat-ws', '-n', ns, '-o', 'json']));
    assert.equal(p.spec.timeouts.connect, '5s', 'schema default, as on a WebSocketRoute');
    assert.equal(p.spec.sessionAffinity.cookie.sameSite, 'Lax');
    assert.match(await kubectlOk(['get', 'wsp', '-n', ns]), /^chat-ws\s/m, 'the short name and printer columns work');
  });

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a Gateway target', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }] }, /must be an HTTPRoute .* or a Service/],
    ['duplicate targetRefs', { targetRefs: [{ group: '', kind: 'Service', name: 'chat' }, { group: '', kind: 'Service', name: 'chat' }] }, /targetRefs must be unique/],
    ['no targetRefs', { targetRefs: [] }, /targetRefs/],
    ['hashOn without ConsistentHash', { targetRefs: [{ group: '', kind: 'Service', name: 'chat' }], loadBalancer: { policy: 'RoundRobin', hashOn: { header: 'x' } } }, /hashOn is only allowed with policy ConsistentHash/],
    ['sessionAffinity with ConsistentHash', { targetRefs: [{ group: '', kind: 'Service', name: 'chat' }], loadBalancer: { policy: 'ConsistentHash', hashOn: { header: 'x' } }, sessionAffinity: { cookie: {} } }, /sessionAffinity cannot be combined/],
    ['a bad duration', { targetRefs: [{ group: '', kind: 'Service', name: 'chat' }], timeouts: { idle: 'forever' } }, /spec\.timeouts\.idle/],
  ];
  for (const [name, spec, message] of refused) {
    test(`a WebSocketPolicy with ${name} is refused`, async () => {
      const r = await kubectl(['apply', '-f', '-'], toYaml([wsPolicy('bad', spec)]));
      assert.notEqual(r.code, 0, `${name} was accepted`);
      assert.match(r.stderr, message);
    });
  }

  test('the statuses the translator computes are accepted by the status subresources', async () => {
    const get = async <T>(kind: string, name: string, namespaced = true): Promise<T> =>
      JSON.parse(await kubectlOk(['get', kind, name, ...(namespaced ? ['-n', ns] : []), '-o', 'json'])) as T;
    const out = translate({
      gatewayClasses: [await get<GatewayClass>('gatewayclass', className, false)],
      gateways: [await get<Gateway>('gateway', 'gw')],
      httpRoutes: [await get<HTTPRoute>('httproute', 'chat')],
      referenceGrants: [await get<ReferenceGrant>('referencegrant', 'routes-in')],
      namespaces: [{ metadata: { name: ns } }],
      services: [await get<Service>('service', 'chat')],
      webSocketPolicies: [await get<WebSocketPolicy>('websocketpolicy', 'chat-ws')],
      addresses: [{ type: 'IPAddress', value: '10.0.0.10' }],
      now: '2026-11-01T00:00:00Z',
    });
    const patchStatus = (kind: string, name: string, status: object, namespaced = true) =>
      kubectlOk(['patch', kind, name, ...(namespaced ? ['-n', ns] : []), '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);

    const gc = out.gatewayClasses.get(className)!;
    await patchStatus('gatewayclass', className, { conditions: gc.conditions, supportedFeatures: gc.supportedFeatures }, false);
    await patchStatus('gateway', 'gw', out.gateways.get(`${ns}/gw`)!.status);
    await patchStatus('httproute', 'chat', { parents: out.httpRoutes.get(`${ns}/chat`)!.parents });
    await patchStatus('websocketpolicy', 'chat-ws', { ancestors: out.policies.get(`${ns}/chat-ws`)!.ancestors });

    const route = await get<HTTPRoute & { status: { parents: Array<{ conditions: Array<{ type: string; status: string; reason: string }> }> } }>('httproute', 'chat');
    assert.deepEqual(
      route.status.parents[0]!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`),
      ['Accepted=True/Accepted', 'ResolvedRefs=False/BackendNotFound'],
    );
    const g = await get<{ status: { listeners: Array<{ attachedRoutes: number }>; conditions: Array<{ type: string; status: string }> } }>('gateway', 'gw');
    assert.equal(g.status.listeners[0]!.attachedRoutes, 1);
    assert.ok(g.status.conditions.some((c) => c.type === 'Programmed' && c.status === 'True'));
    const p = await get<{ status: { ancestors: Array<{ ancestorRef: { name: string }; conditions: Array<{ reason: string }> }> } }>('websocketpolicy', 'chat-ws');
    assert.deepEqual(p.status.ancestors.map((a) => `${a.ancestorRef.name}:${a.conditions[0]!.reason}`), ['gw:Accepted']);
    const entry = out.routes[0]!;
    assert.equal(entry.websocket.timeoutsMs.idle, 600_000);
    assert.deepEqual(entry.websocket.source, { kind: 'WebSocketPolicy', namespace: ns, name: 'chat-ws', target: 'HTTPRoute' });
  });
});
