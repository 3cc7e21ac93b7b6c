// ListenerSets in the translator, table-driven: attachment by the Gateway's allowedListeners,
// conflicts in the spec's precedence (Gateway, then oldest ListenerSet, then namespace/name),
// routes attaching with a ListenerSet parentRef (and sectionName), statuses on the ListenerSet,
// the Gateway's attachedListenerSets, certificate ReferenceGrants from a ListenerSet, and the
// listeners and entries served on the parent Gateway's sockets.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Condition } from '../../src/api/types.js';
import { translate } from '../../src/gatewayapi/translate.js';
import type { TranslateOutput } from '../../src/gatewayapi/model.js';
import type { Gateway, Listener, ListenerSet, Secret } from '../../src/gatewayapi/types.js';
import { makeCa } from '../helpers/certs.js';
import { CONTROLLER, gateway, grant, input, listener, listenerSet, ns, parent, route, tlsSecret } from './fixtures.js';

const brief = (c: Condition | undefined) => (c ? `${c.type}=${c.status}/${c.reason}` : 'absent');
const LS = { group: 'gateway.networking.k8s.io', kind: 'ListenerSet' };

function lsStatus(out: TranslateOutput, name: string, namespace = 'infra') {
  const s = out.listenerSets.get(`${namespace}/${name}`);
  assert.ok(s, `ListenerSet ${namespace}/${name} has a status`);
  return s.status;
}
/** "Accepted=.../... Programmed=.../..." of a ListenerSet. */
const lsConditions = (out: TranslateOutput, name: string, namespace = 'infra') => lsStatus(out, name, namespace).conditions.map(brief).join(' ');
function lsListener(out: TranslateOutput, set: string, name: string, namespace = 'infra') {
  const l = lsStatus(out, set, namespace).listeners.find((x) => x.name === name);
  assert.ok(l, `listener ${name} of ${namespace}/${set}`);
  return l;
}
const attachedSets = (out: TranslateOutput, name = 'gw') => out.gateways.get(`infra/${name}`)!.status.attachedListenerSets;
function routeParents(out: TranslateOutput, name: string, namespace = 'apps') {
  return (out.httpRoutes.get(`${namespace}/${name}`)?.parents ?? []).filter((p) => p.controllerName === CONTROLLER);
}
const hostOf = (name: string) => `${name}.example.com`;
const httpListener = (name: string, extra: Partial<Listener> = {}) => listener(name, { hostname: hostOf(name), allowedRoutes: { namespaces: { from: 'All' } }, ...extra });
const gatewayAllowing = (from: 'All' | 'Same' | 'Selector' | 'None' | undefined, listeners = [httpListener('gw-l')], selector?: { matchLabels: Record<string, string> }): Gateway =>
  gateway('gw', listeners, from === undefined ? {} : { allowedListeners: { namespaces: { from, ...(selector ? { selector } : {}) } } });
const lsRef = (name: string, extra: Record<string, unknown> = {}, namespace = 'infra') => ({ ...LS, namespace, name, ...extra });

describe('ListenerSet attachment: the Gateway\'s allowedListeners', () => {
  const cases: Array<{ name: string; gateway: Gateway; set: ListenerSet; want: string; attached: number | undefined }> = [
    { name: 'no allowedListeners: NotAllowed (the default is None)', gateway: gatewayAllowing(undefined), set: listenerSet('ls', [httpListener('a')]), want: 'Accepted=False/NotAllowed Programmed=False/NotAllowed', attached: undefined },
    { name: 'from None: NotAllowed', gateway: gatewayAllowing('None'), set: listenerSet('ls', [httpListener('a')]), want: 'Accepted=False/NotAllowed Programmed=False/NotAllowed', attached: undefined },
    { name: 'from Same, same namespace: Accepted', gateway: gatewayAllowing('Same'), set: listenerSet('ls', [httpListener('a')]), want: 'Accepted=True/Accepted Programmed=True/Programmed', attached: 1 },
    { name: 'from Same, another namespace: NotAllowed', gateway: gatewayAllowing('Same'), set: listenerSet('ls', [httpListener('a')], 'apps'), want: 'Accepted=False/NotAllowed Programmed=False/NotAllowed', attached: 0 },
    { name: 'from Selector, a matching namespace: Accepted', gateway: gatewayAllowing('Selector', undefined, { matchLabels: { team: 'a' } }), set: listenerSet('ls', [httpListener('a')], 'apps'), want: 'Accepted=True/Accepted Programmed=True/Programmed', attached: 1 },
    { name: 'from Selector, a namespace it does not match: NotAllowed', gateway: gatewayAllowing('Selector', undefined, { matchLabels: { team: 'a' } }), set: listenerSet('ls', [httpListener('a')], 'other'), want: 'Accepted=False/NotAllowed Programmed=False/NotAllowed', attached: 0 },
    { name: 'from All, any namespace: Accepted', gateway: gatewayAllowing('All'), set: listenerSet('ls', [httpListener('a')], 'other'), want: 'Accepted=True/Accepted Programmed=True/Programmed', attached: 1 },
    { name: 'allowed but no listener valid: ListenersNotValid, not counted', gateway: gatewayAllowing('All'), set: listenerSet('ls', [httpListener('a', { protocol: 'UDP', hostname: undefined })]), want: 'Accepted=False/ListenersNotValid Programmed=False/ListenersNotValid', attached: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(input({ gateways: [c.gateway], listenerSets: [c.set] }));
      assert.equal(lsConditions(out, c.set.metadata.name, c.set.metadata.namespace), c.want);
      assert.equal(attachedSets(out), c.attached);
      for (const cond of lsStatus(out, c.set.metadata.name, c.set.metadata.namespace).conditions) assert.equal(cond.observedGeneration, 5);
      // A ListenerSet never changes the Gateway's own status.
      assert.equal(brief(out.gateways.get('infra/gw')!.status.conditions[0]), 'Accepted=True/Accepted');
      assert.deepEqual(out.gateways.get('infra/gw')!.status.listeners.map((l) => l.name), ['gw-l']);
    });
  }

  it('a parent Gateway that is not accepted: ParentNotAccepted; a parent that is not ours: no status at all', () => {
    const bad = gateway('gw', [httpListener('gw-l')], { allowedListeners: { namespaces: { from: 'All' } }, infrastructure: { parametersRef: { group: 'a', kind: 'B', name: 'c' } } });
    const out = translate(input({ gateways: [bad], listenerSets: [listenerSet('ls', [httpListener('a')]), listenerSet('theirs', [httpListener('b')], 'infra', undefined, 'elsewhere')] }));
    assert.equal(lsConditions(out, 'ls'), 'Accepted=False/ParentNotAccepted Programmed=False/ParentNotAccepted');
    assert.equal(out.listenerSets.has('infra/theirs'), false);
    assert.deepEqual(out.listeners, []);
  });
});

describe('ListenerSet listener conflicts: Gateway first, then the oldest set, then namespace/name', () => {
  const accepted = ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'];
  const conflicted = (reason: string) => [`Accepted=False/${reason}`, `Programmed=False/${reason}`, 'ResolvedRefs=True/ResolvedRefs', `Conflicted=True/${reason}`];
  const cases: Array<{ name: string; sets: ListenerSet[]; want: Record<string, { set: string; conditions: string[] }>; setConditions: Record<string, string>; attached: number }> = [
    {
      name: 'a hostname the Gateway has on that port: the set\'s listener is refused, its other listener serves',
      sets: [listenerSet('ls1', [httpListener('mine'), httpListener('dup', { hostname: hostOf('gw-l') })])],
      want: { mine: { set: 'ls1', conditions: accepted }, dup: { set: 'ls1', conditions: conflicted('HostnameConflict') } },
      setConditions: { ls1: 'Accepted=True/Accepted Programmed=True/Programmed' },
      attached: 1,
    },
    {
      name: 'another protocol on a port the Gateway uses: ProtocolConflict before UnsupportedProtocol; a set with only that: ListenersNotValid',
      sets: [listenerSet('ls1', [httpListener('mine'), listener('tcp', { protocol: 'TCP' })]), listenerSet('ls2', [listener('tcp', { protocol: 'TCP' })])],
      want: { mine: { set: 'ls1', conditions: accepted }, tcp: { set: 'ls2', conditions: conflicted('ProtocolConflict') } },
      setConditions: { ls1: 'Accepted=True/Accepted Programmed=True/Programmed', ls2: 'Accepted=False/ListenersNotValid Programmed=False/ListenersNotValid' },
      attached: 1,
    },
    {
      name: 'the same hostname in two sets created at once: the first by namespace/name keeps it',
      sets: [listenerSet('ls-b', [httpListener('shared')]), listenerSet('ls-a', [httpListener('shared')])],
      want: { shared: { set: 'ls-a', conditions: accepted } },
      setConditions: { 'ls-a': 'Accepted=True/Accepted Programmed=True/Programmed', 'ls-b': 'Accepted=False/ListenersNotValid Programmed=False/ListenersNotValid' },
      attached: 1,
    },
    {
      name: 'the same hostname in two sets: the older keeps it whatever the names',
      sets: [listenerSet('ls-a', [httpListener('shared')], 'infra', '2026-02-01T00:00:00Z'), listenerSet('ls-b', [httpListener('shared')], 'infra', '2026-01-01T00:00:00Z')],
      want: { shared: { set: 'ls-b', conditions: accepted } },
      setConditions: { 'ls-b': 'Accepted=True/Accepted Programmed=True/Programmed', 'ls-a': 'Accepted=False/ListenersNotValid Programmed=False/ListenersNotValid' },
      attached: 1,
    },
    {
      name: 'a refused listener claims nothing: a later set may use its hostname',
      sets: [listenerSet('ls1', [httpListener('x', { port: 8443 }), httpListener('y', { port: 8443, protocol: 'HTTPS', hostname: 'z.example.com', tls: { certificateRefs: [{ name: 'cert' }] } })]), listenerSet('ls2', [httpListener('x', { port: 8443 })])],
      want: { x: { set: 'ls2', conditions: accepted } },
      setConditions: { ls1: 'Accepted=False/ListenersNotValid Programmed=False/ListenersNotValid', ls2: 'Accepted=True/Accepted Programmed=True/Programmed' },
      attached: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(input({ gateways: [gatewayAllowing('All')], listenerSets: c.sets }));
      for (const [name, want] of Object.entries(c.want)) assert.deepEqual(lsListener(out, want.set, name).conditions.map(brief), want.conditions, `${want.set}/${name}`);
      for (const [set, want] of Object.entries(c.setConditions)) assert.equal(lsConditions(out, set), want, set);
      assert.equal(attachedSets(out), c.attached);
      // The Gateway's own listeners are never the ones refused.
      assert.deepEqual(out.gateways.get('infra/gw')!.status.listeners[0]!.conditions.map(brief), accepted);
    });
  }

  it('route kinds on a protocol wsgate does not serve: ResolvedRefs=False/InvalidRouteKinds', () => {
    const tls = listener('tls', { port: 443, protocol: 'TLS', hostname: 'tls.example.com', tls: { mode: 'Passthrough' }, allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }] } });
    const out = translate(input({ gateways: [gatewayAllowing('All')], listenerSets: [listenerSet('ls', [tls])] }));
    assert.equal(brief(lsListener(out, 'ls', 'tls').conditions.find((c) => c.type === 'ResolvedRefs')), 'ResolvedRefs=False/InvalidRouteKinds');
    assert.equal(lsConditions(out, 'ls'), 'Accepted=False/ListenersNotValid Programmed=False/ListenersNotValid');
  });
});

describe('HTTPRoutes and ListenerSets: parentRefs, sectionName, allowedRoutes, statuses', () => {
  const sets = [listenerSet('ls1', [httpListener('a'), httpListener('b')]), listenerSet('ls2', [httpListener('c', { allowedRoutes: { namespaces: { from: 'Same' } } })], 'other')];
  const cases: Array<{ name: string; parentRefs: ReturnType<typeof parent>[]; namespace?: string; want: string[]; attachedTo: string[] }> = [
    { name: 'a ListenerSet parentRef attaches to every listener of the set, not the Gateway\'s', parentRefs: [lsRef('ls1')], want: ['Accepted=True/Accepted'], attachedTo: ['ls1/a', 'ls1/b'] },
    { name: 'with a sectionName, to that listener only', parentRefs: [lsRef('ls1', { sectionName: 'b' })], want: ['Accepted=True/Accepted'], attachedTo: ['ls1/b'] },
    { name: 'a sectionName the set does not have: NoMatchingParent', parentRefs: [lsRef('ls1', { sectionName: 'gw-l' })], want: ['Accepted=False/NoMatchingParent'], attachedTo: [] },
    { name: 'a Gateway parentRef reaches the Gateway\'s own listeners only', parentRefs: [parent('gw')], want: ['Accepted=True/Accepted'], attachedTo: ['gw/gw-l'] },
    { name: 'a Gateway parentRef naming a set\'s listener: NoMatchingParent', parentRefs: [parent('gw', { sectionName: 'a' })], want: ['Accepted=False/NoMatchingParent'], attachedTo: [] },
    { name: 'both parentRefs: each accepted on its own', parentRefs: [parent('gw'), lsRef('ls1', { sectionName: 'a' })], want: ['Accepted=True/Accepted', 'Accepted=True/Accepted'], attachedTo: ['gw/gw-l', 'ls1/a'] },
    { name: 'allowedRoutes Same is the ListenerSet\'s namespace: a route there attaches', parentRefs: [lsRef('ls2', {}, 'other')], namespace: 'other', want: ['Accepted=True/Accepted'], attachedTo: ['ls2/c'] },
    { name: 'allowedRoutes Same: a route in the Gateway\'s namespace does not', parentRefs: [lsRef('ls2', {}, 'other')], namespace: 'infra', want: ['Accepted=False/NotAllowedByListeners'], attachedTo: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = route('r', { parentRefs: c.parentRefs }, c.namespace ?? 'apps');
      const out = translate(input({ gateways: [gatewayAllowing('All')], listenerSets: sets, httpRoutes: [r] }));
      const ours = routeParents(out, 'r', c.namespace ?? 'apps');
      assert.deepEqual(ours.map((p) => brief(p.conditions.find((x) => x.type === 'Accepted'))), c.want);
      // Each status entry names the parentRef it answers, kind and all.
      assert.deepEqual(ours.map((p) => p.parentRef), c.parentRefs);
      const attached: string[] = [];
      for (const l of out.gateways.get('infra/gw')!.status.listeners) if (l.attachedRoutes) attached.push(`gw/${l.name}`);
      for (const [k, s] of out.listenerSets) for (const l of s.status.listeners) if (l.attachedRoutes) attached.push(`${k.split('/')[1]}/${l.name}`);
      assert.deepEqual(attached.sort(), c.attachedTo);
      // Entries exist exactly for the listeners attached, named so a set's listener never collides with the Gateway's.
      const served = [...new Set(out.routes.map((e) => e.listener.listenerName))].sort();
      const expected = c.attachedTo.map((a) => (a.startsWith('gw/') ? a.slice(3) : `ListenerSet/${a.startsWith('ls2') ? 'other' : 'infra'}/${a}`)).sort();
      assert.deepEqual(served, expected);
    });
  }

  it('a route to a set that is not attached: NotAllowedByListeners, nothing served', () => {
    const out = translate(input({ gateways: [gatewayAllowing('Same')], listenerSets: sets, httpRoutes: [route('r', { parentRefs: [lsRef('ls2', {}, 'other')] }, 'other')] }));
    assert.deepEqual(routeParents(out, 'r', 'other').map((p) => brief(p.conditions[0])), ['Accepted=False/NotAllowedByListeners']);
    assert.deepEqual(out.routes, []);
  });

  it('a set\'s listeners are served on the Gateway\'s port, with hostnames, beside its own; a refused set\'s are not', () => {
    const out = translate(input({
      gateways: [gatewayAllowing('Same')],
      listenerSets: [listenerSet('ls1', [httpListener('a')]), listenerSet('ls2', [httpListener('c')], 'other')],
      httpRoutes: [route('r', { parentRefs: [lsRef('ls1'), parent('gw')] })],
    }));
    assert.deepEqual(
      out.listeners.map((l) => `${l.gatewayNamespace}/${l.gatewayName} ${l.listenerName} ${l.protocol}:${l.port} ${l.hostname}`).sort(),
      ['infra/gw ListenerSet/infra/ls1/a HTTP:80 a.example.com', 'infra/gw gw-l HTTP:80 gw-l.example.com'],
    );
    const e = out.routes.find((x) => x.listener.listenerName === 'ListenerSet/infra/ls1/a')!;
    assert.deepEqual(e.hostnames, ['a.example.com']);
    assert.equal(e.listener.gatewayName, 'gw');
  });
});

describe('ListenerSet certificateRefs: ReferenceGrants from the ListenerSet', () => {
  let cert = { cert: '', key: '' };
  before(() => {
    cert = makeCa('listener set test CA').issue('example.com', ['example.com', '*.example.com']);
  });
  const secret = (name: string, namespace: string): Secret => tlsSecret(name, namespace, cert.cert, cert.key);
  const https = (name: string, refNs: string) => listener(name, { port: 443, protocol: 'HTTPS', hostname: hostOf(name), tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'cert', namespace: refNs }] } });
  const cases: Array<{ name: string; setNs: string; grants: ReturnType<typeof grant>[]; want: string; set: string }> = [
    { name: 'a Secret in the set\'s own namespace needs no grant', setNs: 'apps', grants: [], want: 'ResolvedRefs=True/ResolvedRefs', set: 'Accepted=True/Accepted' },
    { name: 'another namespace with a grant from kind ListenerSet: resolved', setNs: 'infra', grants: [grant('apps', [{ group: 'gateway.networking.k8s.io', kind: 'ListenerSet', namespace: 'infra' }], [{ group: '', kind: 'Secret' }])], want: 'ResolvedRefs=True/ResolvedRefs', set: 'Accepted=True/Accepted' },
    { name: 'a grant for the Gateway is not inherited: RefNotPermitted', setNs: 'infra', grants: [grant('apps', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }], [{ group: '', kind: 'Secret' }])], want: 'ResolvedRefs=False/RefNotPermitted', set: 'Accepted=False/ListenersNotValid' },
    { name: 'a grant from another namespace\'s ListenerSets: RefNotPermitted', setNs: 'other', grants: [grant('apps', [{ group: 'gateway.networking.k8s.io', kind: 'ListenerSet', namespace: 'infra' }], [{ group: '', kind: 'Secret' }])], want: 'ResolvedRefs=False/RefNotPermitted', set: 'Accepted=False/ListenersNotValid' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(input({
        gateways: [gatewayAllowing('All')],
        listenerSets: [listenerSet('ls', [https('tls', 'apps')], c.setNs)],
        referenceGrants: c.grants,
        secrets: [secret('cert', 'apps')],
        namespaces: [ns('infra'), ns('apps'), ns('other')],
      }));
      assert.equal(brief(lsListener(out, 'ls', 'tls', c.setNs).conditions.find((x) => x.type === 'ResolvedRefs')), c.want);
      assert.equal(brief(lsStatus(out, 'ls', c.setNs).conditions[0]), c.set);
      const served = out.listeners.filter((l) => l.listenerName.startsWith('ListenerSet/'));
      assert.deepEqual(served.map((l) => l.certificates), c.want.includes('True') ? [[{ namespace: 'apps', name: 'cert' }]] : []);
    });
  }
});
