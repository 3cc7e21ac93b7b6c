// The Kubernetes side of Gateway API support against a real kube-apiserver: two `wsgate
// controller` processes (one Lease) with --gateway-api=on and an address pool, driven with
// kubectl. What the leader writes into GatewayClass, Gateway, HTTPRoute and WebSocketPolicy
// status; that the follower writes nothing; that a new leader writes what differs; that a
// deleted Gateway frees its pool address. Traffic through Gateways is tested with the data plane.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IMPLEMENTED_FEATURES } from '../../src/gatewayapi/translate.js';
import type { WsgateChild } from '../../test/helpers/wsgate-child.js';
import { apply, clusterAvailable, eventually, kubectl, kubectlOk, service } from '../helpers/cluster.js';
import { GATEWAY, gatewayClass as gatewayClassObj, type Condition, httpGateway, installGatewayCrds, startGatewayController, deleteGatewayTestObjects } from '../helpers/gateway-api.js';

const ns = `gw-controller-${process.pid}-${Date.now() % 100000}`;
const className = `wsgate-${ns}`;
// Unique per run: controllers of parallel runs (and the conformance run) never fight over objects.
const controllerName = `wsgate.io/e2e-${ns}`;
const OTHER = 'example.com/other-controller';
// Each process its own pool: were the data plane to bind the addresses, both could. The second
// pool also shows the new leader rewriting the addresses it disagrees with.
const POOL_A = '127.0.71.0/24';
const POOL_B = '127.0.72.0/24';
const PORT = 18080;

interface Obj {
  metadata: { name: string; generation: number; resourceVersion: string };
  status?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function get(kind: string, name: string, namespaced = true): Promise<Obj | undefined> {
  const r = await kubectl(['get', kind, name, ...(namespaced ? ['-n', ns] : []), '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Obj) : undefined;
}

const brief = (conditions: readonly Condition[] | undefined) => Object.fromEntries((conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

/** How often a process has logged `message` so far. */
const logged = (p: WsgateChild, message: string) => p.stderr().split('\n').filter((l) => l.includes(`"msg":"${message}"`)).length;

/** Resolves once `p` has compiled a table after `before` (a count from logged()). */
const compiledSince = (p: WsgateChild, before: number) => eventually(`a recompile of pid ${p.child.pid}`, () => logged(p, 'routing table updated') > before);

function startController(pool: string, lease: string): Promise<WsgateChild> {
  return startGatewayController({ namespace: ns, lease, controllerName, pool, extra: ['--lease-duration', '4000', '--lease-retry-period', '500'] });
}

const gatewayClass = gatewayClassObj(className, controllerName);
const gatewayObj = (name: string) => httpGateway(ns, name, className, PORT);
const httpRoute = (hostnames: string[]) => ({
  apiVersion: `${GATEWAY}/v1`,
  kind: 'HTTPRoute',
  metadata: { name: 'chat', namespace: ns },
  spec: {
    parentRefs: [{ name: 'gw' }, { name: 'theirs' }],
    hostnames,
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/chat' } }], backendRefs: [{ name: 'chat', port: 8080 }] }],
  },
});
const theirEntry = {
  parentRef: { group: GATEWAY, kind: 'Gateway', name: 'theirs' },
  controllerName: OTHER,
  conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'accepted by the other controller', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' }],
};

describe('wsgate controller: Gateway API status on a real apiserver', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  let a: WsgateChild | undefined;
  let b: WsgateChild | undefined;

  before(async () => {
    await installGatewayCrds();
    await kubectlOk(['create', 'namespace', ns]);
    await apply([
      gatewayClass,
      gatewayObj('gw'),
      service(ns, 'chat', [{ name: 'ws', port: 8080 }]),
      httpRoute(['chat.example.com']),
      {
        apiVersion: 'wsgate.io/v1alpha1',
        kind: 'WebSocketPolicy',
        metadata: { name: 'chat', namespace: ns },
        spec: { targetRefs: [{ group: GATEWAY, kind: 'HTTPRoute', name: 'chat' }], timeouts: { idle: '10m' } },
      },
      {
        // Another install's policy (route classes): this one must neither apply it nor report on it.
        apiVersion: 'wsgate.io/v1alpha1',
        kind: 'WebSocketPolicy',
        metadata: { name: 'chat-internal', namespace: ns },
        spec: { className: 'internal', targetRefs: [{ group: GATEWAY, kind: 'HTTPRoute', name: 'chat' }], timeouts: { idle: '1m' } },
      },
    ]);
    // Another controller's entry, written before wsgate starts: it must survive every write of ours.
    await kubectlOk(['patch', 'httproute', 'chat', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { parents: [theirEntry] } })]);
    a = await startController(POOL_A, 'gw-lease');
    await a.waitForLog(/became leader/, 20_000);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await deleteGatewayTestObjects(ns, className);
  });

  test('GatewayClass: Accepted, with the supported features', async () => {
    const gc = await eventually('GatewayClass status', async () => {
      const o = await get('gatewayclass', className, false);
      return o?.status?.supportedFeatures?.length ? o : undefined;
    });
    assert.equal(brief(gc.status!.conditions).Accepted, 'True/Accepted');
    assert.equal(gc.status!.conditions[0].observedGeneration, gc.metadata.generation);
    assert.deepEqual(gc.status!.supportedFeatures.map((f: { name: string }) => f.name), [...IMPLEMENTED_FEATURES].sort());
  });

  test('Gateway: Accepted, Programmed, its pool address, listener conditions and attachedRoutes', async () => {
    const gw = await eventually('Gateway status', async () => {
      const o = await get('gateway', 'gw');
      return o?.status?.listeners?.[0]?.attachedRoutes === 1 ? o : undefined;
    });
    assert.deepEqual(brief(gw.status!.conditions), { Accepted: 'True/Accepted', Programmed: 'True/Programmed' });
    assert.ok(gw.status!.conditions.every((c: Condition) => c.observedGeneration === gw.metadata.generation && c.lastTransitionTime));
    assert.deepEqual(gw.status!.addresses, [{ type: 'IPAddress', value: '127.0.71.1' }]);
    const [l] = gw.status!.listeners;
    assert.equal(l.name, 'http');
    assert.deepEqual(l.supportedKinds, [{ group: GATEWAY, kind: 'HTTPRoute' }]);
    assert.deepEqual(brief(l.conditions), { Accepted: 'True/Accepted', Programmed: 'True/Programmed', ResolvedRefs: 'True/ResolvedRefs', Conflicted: 'False/NoConflicts' });
  });

  test("HTTPRoute: our parent Accepted and ResolvedRefs with observedGeneration; the other controller's entry untouched", async () => {
    const r = await eventually('HTTPRoute parents', async () => {
      const o = await get('httproute', 'chat');
      return o?.status?.parents?.some((p: { controllerName: string }) => p.controllerName === controllerName) ? o : undefined;
    });
    const parents = r.status!.parents as Array<{ controllerName: string; parentRef: Record<string, unknown>; conditions: Condition[] }>;
    assert.deepEqual(parents.find((p) => p.controllerName === OTHER), theirEntry);
    const ours = parents.filter((p) => p.controllerName === controllerName);
    assert.equal(ours.length, 1, 'no entry for the parentRef to a Gateway that is not ours');
    assert.equal(ours[0]!.parentRef.name, 'gw');
    assert.deepEqual(brief(ours[0]!.conditions), { Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' });
    assert.ok(ours[0]!.conditions.every((c) => c.observedGeneration === r.metadata.generation));
  });

  test('WebSocketPolicy: an ancestor entry for the Gateway the route is reached through', async () => {
    const p = await eventually('policy ancestors', async () => {
      const o = await get('websocketpolicy', 'chat');
      return o?.status?.ancestors?.length ? o : undefined;
    });
    const [entry] = p.status!.ancestors as Array<{ ancestorRef: { name: string; kind?: string }; controllerName: string; conditions: Condition[] }>;
    assert.equal(entry!.controllerName, controllerName);
    assert.equal(entry!.ancestorRef.name, 'gw');
    assert.equal(brief(entry!.conditions).Accepted, 'True/Accepted');
    assert.equal(entry!.conditions[0]!.observedGeneration, p.metadata.generation);
  });

  test('WebSocketPolicy of another class: no ancestor entry, and it does not conflict with the one applied', async () => {
    await eventually('a finished Gateway API status pass', async () => a!.stderr().includes('"msg":"Gateway API statuses updated"'));
    const other = await get('websocketpolicy', 'chat-internal');
    assert.equal(other?.status?.ancestors, undefined);
    const ours = await get('websocketpolicy', 'chat');
    assert.equal(brief(ours!.status!.ancestors[0].conditions).Accepted, 'True/Accepted');
  });

  test('only the leader writes; when it leaves, the new leader writes what it disagrees with', async () => {
    b = await startController(POOL_B, 'gw-lease');
    await b.waitForLog(/initial sync complete/, 20_000);
    assert.doesNotMatch(b.stderr(), /became leader/);
    // A change while both run: the leader follows it, the follower writes nothing.
    const tablesBefore = logged(b, 'routing table updated');
    await apply([httpRoute(['chat.example.com', 'chat2.example.com'])]);
    await eventually('observedGeneration follows the new generation', async () => {
      const o = await get('httproute', 'chat');
      const ours = o?.status?.parents?.find((p: { controllerName: string }) => p.controllerName === controllerName);
      return ours && ours.conditions[0].observedGeneration === o!.metadata.generation;
    });
    await compiledSince(b, tablesBefore);
    assert.doesNotMatch(b.stderr(), /statuses updated/, 'the follower wrote a status');
    assert.match(a!.stderr(), /Gateway API statuses updated/);

    // The leader stops (and hands the lease back): the follower takes over and rewrites the
    // addresses from its own pool, and nothing else that already agreed.
    await a!.stop();
    a = undefined;
    await b.waitForLog(/became leader/, 20_000);
    const gw = await eventually('the new leader\'s address', async () => {
      const o = await get('gateway', 'gw');
      return o?.status?.addresses?.[0]?.value === '127.0.72.1' ? o : undefined;
    });
    assert.deepEqual(brief(gw.status!.conditions), { Accepted: 'True/Accepted', Programmed: 'True/Programmed' });
    const r = await get('httproute', 'chat');
    assert.deepEqual(r!.status!.parents.find((p: { controllerName: string }) => p.controllerName === OTHER), theirEntry);
  });

  test('a deleted Gateway frees its pool address for the next one', async () => {
    await apply([gatewayObj('gw-two')]);
    const address = async (name: string) => (await get('gateway', name))?.status?.addresses?.[0]?.value as string | undefined;
    assert.equal(await eventually('gw-two gets the next address', async () => (await address('gw-two')) || undefined), '127.0.72.2');
    const tablesBefore = logged(b!, 'routing table updated');
    await kubectlOk(['delete', 'gateway', 'gw', '-n', ns]);
    await compiledSince(b!, tablesBefore);
    await apply([gatewayObj('gw-three')]);
    assert.equal(await eventually('gw-three gets the freed address', async () => (await address('gw-three')) || undefined), '127.0.72.1');
    assert.equal(await address('gw-two'), '127.0.72.2', 'an assignment stays while its Gateway exists');
  });
});
