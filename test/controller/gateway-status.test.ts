import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFLICT_REASON, sameStatus, statusWrites, type Current, type StatusInputs } from '../../src/controller/gateway-status.js';
import { translate, type TranslateInput } from '../../src/gatewayapi/translate.js';
import type { RouteParentStatus } from '../../src/gatewayapi/types.js';
import { gateway, input, listener, listenerSet, policy, route, routeTarget, service, CONTROLLER } from '../gatewayapi/fixtures.js';

const T1 = '2026-03-01T10:00:00Z';
const T2 = '2026-03-01T11:00:00Z';

/** The objects as the informer holds them: with resourceVersions. */
function currentOf(list: ReadonlyArray<{ metadata: { name: string; namespace?: string } }>): Current[] {
  return list.map((o, i) => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(100 + i) } }));
}

/** `inp`'s objects carrying the statuses a translation of `from` at `at` wrote. */
function written(inp: TranslateInput, from: TranslateInput, at: string): TranslateInput {
  const prev = translate({ ...from, now: at });
  const k = (o: { metadata: { name: string; namespace?: string } }) => `${o.metadata.namespace}/${o.metadata.name}`;
  return {
    ...inp,
    gatewayClasses: inp.gatewayClasses.map((o) => ({ ...o, status: { conditions: prev.gatewayClasses.get(o.metadata.name)!.conditions, supportedFeatures: prev.gatewayClasses.get(o.metadata.name)!.supportedFeatures } })),
    gateways: inp.gateways.map((o) => ({ ...o, status: prev.gateways.get(k(o))!.status })),
    httpRoutes: inp.httpRoutes.map((o) => ({ ...o, status: { parents: prev.httpRoutes.get(k(o))!.parents } })),
    webSocketPolicies: inp.webSocketPolicies.map((o) => ({ ...o, status: { ancestors: prev.policies.get(k(o))!.ancestors } })),
  };
}

function inputs(given: TranslateInput, now: string, current?: { from: TranslateInput; at: string }, extra: Partial<StatusInputs> = {}): StatusInputs {
  const inp = current ? written(given, current.from, current.at) : given;
  return {
    out: translate({ ...inp, now }),
    gatewayClasses: currentOf(inp.gatewayClasses),
    gateways: currentOf(inp.gateways),
    httpRoutes: currentOf(inp.httpRoutes),
    policies: currentOf(inp.webSocketPolicies),
    controllerName: CONTROLLER,
    now,
    ...extra,
  };
}

const open = (name: string, extra: Parameters<typeof listener>[1] = {}) => listener(name, { allowedRoutes: { namespaces: { from: 'All' } }, ...extra });

function scenario(over: Partial<TranslateInput> = {}): TranslateInput {
  return input({
    gateways: [gateway('gw', [open('http')])],
    httpRoutes: [route('r')],
    services: [service('echo')],
    webSocketPolicies: [policy('p', [routeTarget('r')])],
    ...over,
  });
}

describe('Gateway API status writes', () => {
  test('objects without status: one write each; lists shared with other controllers are guarded by resourceVersion', () => {
    const writes = statusWrites(inputs(scenario(), T1));
    assert.deepEqual(writes.map((w) => `${w.kind} ${w.namespace ?? '-'}/${w.name} guarded=${w.guarded} rv=${w.resourceVersion}`), [
      'GatewayClass -/wsgate guarded=false rv=100',
      'Gateway infra/gw guarded=false rv=100',
      'HTTPRoute apps/r guarded=true rv=100',
      'WebSocketPolicy apps/p guarded=true rv=100',
    ]);
    const gw = writes.find((w) => w.kind === 'Gateway')!.status as { addresses: unknown[]; conditions: Array<{ type: string; status: string; lastTransitionTime: string }> };
    assert.deepEqual(gw.conditions.map((c) => `${c.type}=${c.status}@${c.lastTransitionTime}`), [`Accepted=True@${T1}`, `Programmed=True@${T1}`]);
    const parents = (writes.find((w) => w.kind === 'HTTPRoute')!.status as { parents: RouteParentStatus[] }).parents;
    assert.deepEqual(parents[0]!.conditions.map((c) => `${c.type}=${c.status} gen=${c.observedGeneration}`), ['Accepted=True gen=3', 'ResolvedRefs=True gen=3']);
  });

  test('nothing to write when the objects already say it, whatever the time (lastTransitionTime aside)', () => {
    assert.deepEqual(statusWrites(inputs(scenario(), T2, { from: scenario(), at: T1 })), []);
  });

  test('a change writes only the object it concerns, keeping lastTransitionTime of unchanged conditions', () => {
    const before = scenario();
    const after = scenario({ services: [] }); // the backend Service is gone: ResolvedRefs=False
    const writes = statusWrites(inputs(after, T2, { from: before, at: T1 }));
    assert.deepEqual(writes.map((w) => w.kind), ['HTTPRoute']);
    const parents = (writes.find((w) => w.kind === 'HTTPRoute')!.status as { parents: RouteParentStatus[] }).parents;
    const byType = Object.fromEntries(parents[0]!.conditions.map((c) => [c.type, `${c.status}@${c.lastTransitionTime}`]));
    assert.equal(byType.Accepted, `True@${T1}`);
    assert.equal(byType.ResolvedRefs, `False@${T2}`);
  });

  test("another controller's parent entry is left where and as it is", () => {
    const theirs: RouteParentStatus = {
      parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'other-gw' },
      controllerName: 'example.com/other',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs', observedGeneration: 3, lastTransitionTime: T1 }],
    };
    const r = { ...route('r', { parentRefs: [route('r').spec.parentRefs![0]!, theirs.parentRef] }), status: { parents: [theirs] } };
    const writes = statusWrites(inputs(scenario({ httpRoutes: [r] }), T1, undefined, {}));
    const w = writes.find((x) => x.kind === 'HTTPRoute')!;
    const parents = (w.status as { parents: RouteParentStatus[] }).parents;
    assert.deepEqual(parents[0], theirs);
    assert.deepEqual(parents.map((p) => p.controllerName), ['example.com/other', CONTROLLER]);
    assert.equal(w.guarded, true);
  });

  test(`a conflict with a WebSocketRoute: our parents Accepted=False/${CONFLICT_REASON}, stable across compiles`, () => {
    const conflicts = new Map([['HTTPRoute/apps/r', 'claims chat.example.com /chat like WebSocketRoute apps/chat']]);
    const first = statusWrites(inputs(scenario(), T1, undefined, { conflicts }));
    const parents = (first.find((w) => w.kind === 'HTTPRoute')!.status as { parents: RouteParentStatus[] }).parents;
    const accepted = parents[0]!.conditions.find((c) => c.type === 'Accepted')!;
    assert.deepEqual([accepted.status, accepted.reason, accepted.message, accepted.observedGeneration, accepted.lastTransitionTime], ['False', CONFLICT_REASON, conflicts.get('HTTPRoute/apps/r'), 3, T1]);
    // The route now carries that status: the next compile (later) writes nothing for it.
    const inp = scenario();
    const carrying = { ...inp, httpRoutes: inp.httpRoutes.map((r) => ({ ...r, status: { parents } })) };
    assert.deepEqual(statusWrites(inputs(carrying, T2, undefined, { conflicts })).filter((w) => w.kind === 'HTTPRoute'), []);
  });

  test('a Gateway port without a socket: its listener Conflicted=True/ProtocolConflict and Programmed=False', () => {
    const inp = scenario({ gateways: [gateway('gw', [open('http'), open('other', { port: 9000 })])] });
    const socketProblems = new Map([['infra/gw:9000', 'port 9000 is served as HTTPS for another Gateway']]);
    const w = statusWrites(inputs(inp, T1, undefined, { socketProblems })).find((x) => x.kind === 'Gateway')!;
    const listeners = (w.status as { listeners: Array<{ name: string; conditions: Array<{ type: string; status: string; reason: string }> }> }).listeners;
    const brief = (name: string) => listeners.find((l) => l.name === name)!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`).sort();
    assert.ok(brief('other').includes('Conflicted=True/ProtocolConflict'));
    assert.ok(brief('other').includes('Programmed=False/Invalid'));
    assert.ok(brief('http').includes('Programmed=True/Programmed'));
  });

  test('sameStatus: key order and lastTransitionTime do not count; everything else does', () => {
    const c = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'm', observedGeneration: 1, lastTransitionTime: T1 };
    assert.ok(sameStatus({ conditions: [c], x: 1 }, { x: 1, conditions: [{ ...c, lastTransitionTime: T2 }] }));
    assert.ok(!sameStatus({ conditions: [c] }, { conditions: [{ ...c, observedGeneration: 2 }] }));
    assert.ok(!sameStatus({ conditions: [c] }, { conditions: [{ ...c, reason: 'Other' }] }));
    assert.ok(!sameStatus(undefined, { conditions: [c] }));
    assert.ok(sameStatus(undefined, {}));
  });
});

describe('ListenerSet status writes', () => {
  const withSet = () =>
    scenario({
      gateways: [gateway('gw', [open('http')], { allowedListeners: { namespaces: { from: 'Same' } } })],
      listenerSets: [listenerSet('ls', [open('extra', { hostname: 'extra.example.com' })])],
    });

  test('a ListenerSet of our Gateway gets its own write (not guarded: only its parent\'s controller writes it); none once it says the same', () => {
    const inp = withSet();
    const first = statusWrites({ ...inputs(inp, T1), listenerSets: currentOf(inp.listenerSets!) });
    const w = first.find((x) => x.kind === 'ListenerSet');
    assert.ok(w, 'a ListenerSet write');
    assert.equal(`${w.namespace}/${w.name} guarded=${w.guarded}`, 'infra/ls guarded=false');
    const status = w.status as { conditions: Array<{ type: string; status: string }>; listeners: Array<{ name: string }> };
    assert.deepEqual(status.conditions.map((c) => `${c.type}=${c.status}`), ['Accepted=True', 'Programmed=True']);
    assert.deepEqual(status.listeners.map((l) => l.name), ['extra']);
    assert.equal((first.find((x) => x.kind === 'Gateway')!.status as { attachedListenerSets?: number }).attachedListenerSets, 1);

    const out = translate({ ...inp, now: T1 });
    const stored = inp.listenerSets!.map((o) => ({ ...o, status: out.listenerSets.get(`infra/${o.metadata.name}`)!.status }));
    const again = statusWrites({ ...inputs(inp, T2), listenerSets: currentOf(stored) });
    assert.equal(again.filter((x) => x.kind === 'ListenerSet').length, 0);
  });

  test('without ListenerSets watched (the CRD not installed) nothing is written for them', () => {
    assert.equal(statusWrites(inputs(withSet(), T1)).filter((x) => x.kind === 'ListenerSet').length, 0);
  });
});
