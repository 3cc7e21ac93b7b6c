// The Gateway API translator, table-driven with plain objects: statuses and reasons as the
// spec and the conformance suite ask for them, the route model, ReferenceGrants, policies.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Condition } from '../../src/api/types.js';
import { translate, IMPLEMENTED_FEATURES, type TranslateInput } from '../../src/gatewayapi/translate.js';
import type { GatewayRouteEntry, TranslateOutput } from '../../src/gatewayapi/model.js';
import type { HTTPRoute, HTTPRouteFilter, ListenerStatus, Secret } from '../../src/gatewayapi/types.js';
import { routeKey as wsRouteKey } from '../../src/api/types.js';
import { makeCa } from '../helpers/certs.js';
import {
  ADDRESS,
  CONTROLLER,
  gateway,
  gatewayClass,
  grant,
  input,
  listener,
  ns,
  parent,
  policy,
  route,
  routeTarget,
  rule,
  service,
  serviceTarget,
  tlsSecret,
} from './fixtures.js';

const brief = (c: Condition | undefined) => (c ? `${c.type}=${c.status}/${c.reason}` : 'absent');
const cond = (list: readonly Condition[] | undefined, type: string) => list?.find((c) => c.type === type);

function gw(out: TranslateOutput, name = 'gw', namespace = 'infra') {
  const s = out.gateways.get(`${namespace}/${name}`);
  assert.ok(s, `Gateway ${namespace}/${name} has a status`);
  return s.status;
}
function lis(out: TranslateOutput, name: string, gwName = 'gw'): ListenerStatus {
  const l = gw(out, gwName).listeners.find((x) => x.name === name);
  assert.ok(l, `listener ${name}`);
  return l;
}
/** Our parent entries of a route, as "Accepted=True/Accepted ResolvedRefs=..." strings per parentRef. */
function parents(out: TranslateOutput, name: string, namespace = 'apps'): string[] {
  const s = out.httpRoutes.get(`${namespace}/${name}`);
  if (!s) return [];
  return s.parents.filter((p) => p.controllerName === CONTROLLER).map((p) => p.conditions.map(brief).join(' '));
}
function entries(out: TranslateOutput, name: string, namespace = 'apps'): GatewayRouteEntry[] {
  return out.routes.filter((e) => e.routeKey === `HTTPRoute/${namespace}/${name}`);
}

let cert = { cert: '', key: '' };
before(() => {
  cert = makeCa('gateway api test CA').issue('example.com', ['example.com', '*.example.com']);
});
const secret = (name: string, namespace = 'infra'): Secret => tlsSecret(name, namespace, cert.cert, cert.key);
const httpsListener = (name: string, refs: Array<{ group?: string; kind?: string; name: string; namespace?: string }>, extra = {}) =>
  listener(name, { port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: refs }, ...extra });

// ---------------------------------------------------------------------------------------------

describe('GatewayClass', () => {
  it('a class of ours is Accepted with sorted supportedFeatures; another controller\'s class is left alone', () => {
    const out = translate(input({ gatewayClasses: [gatewayClass('wsgate'), gatewayClass('theirs', 'example.net/gateway-controller')] }));
    assert.deepEqual([...out.gatewayClasses.keys()], ['wsgate']);
    const s = out.gatewayClasses.get('wsgate')!;
    assert.equal(brief(cond(s.conditions, 'Accepted')), 'Accepted=True/Accepted');
    assert.equal(cond(s.conditions, 'Accepted')!.observedGeneration, 1);
    assert.deepEqual(s.supportedFeatures, [...IMPLEMENTED_FEATURES].sort().map((name) => ({ name })));
  });

  it('parametersRef is not supported: Accepted=False/InvalidParameters, and its Gateways are not accepted', () => {
    const out = translate(input({ gatewayClasses: [gatewayClass('wsgate', CONTROLLER, { parametersRef: { group: 'x', kind: 'Y', name: 'z' } })] }));
    assert.equal(brief(cond(out.gatewayClasses.get('wsgate')!.conditions, 'Accepted')), 'Accepted=False/InvalidParameters');
    assert.equal(brief(cond(gw(out).conditions, 'Accepted')), 'Accepted=Unknown/Pending');
  });

  it('supportedFeatures is what the caller says the conformance run proved', () => {
    const out = translate(input({ supportedFeatures: ['HTTPRoute', 'Gateway', 'Gateway'] }));
    assert.deepEqual(out.gatewayClasses.get('wsgate')!.supportedFeatures, [{ name: 'Gateway' }, { name: 'HTTPRoute' }]);
  });
});

describe('Gateway and listener status', () => {
  it('a valid Gateway: Accepted, Programmed, the given addresses, per-listener conditions and supportedKinds', () => {
    const out = translate(input());
    const s = gw(out);
    assert.deepEqual(s.conditions.map(brief), ['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    assert.deepEqual(s.addresses, [ADDRESS]);
    const l = lis(out, 'http');
    assert.deepEqual(l.conditions.map(brief), ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts']);
    assert.deepEqual(l.supportedKinds, [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }]);
    assert.equal(l.attachedRoutes, 0);
    for (const c of [...s.conditions, ...l.conditions]) assert.equal(c.observedGeneration, 2);
    assert.deepEqual(out.listeners, [{ gatewayNamespace: 'infra', gatewayName: 'gw', listenerName: 'http', port: 80, protocol: 'HTTP', certificates: [] }]);
  });

  it('a Gateway of another class gets no status from us', () => {
    const out = translate(input({ gateways: [gateway('gw', [listener('http')], { gatewayClassName: 'other' })] }));
    assert.equal(out.gateways.size, 0);
  });

  it('addresses per Gateway; none yet: Programmed=False/AddressNotAssigned', () => {
    const out = translate(input({ addresses: () => [] }));
    assert.deepEqual(gw(out).conditions.map(brief), ['Accepted=True/Accepted', 'Programmed=False/AddressNotAssigned']);
  });

  // GatewayStaticAddresses: a type wsgate cannot serve refuses the Gateway; an address of a type
  // it serves that it did not assign leaves it accepted but not programmed, and not served.
  const USABLE = { type: 'IPAddress', value: '10.0.0.10' };
  const UNUSABLE = { type: 'IPAddress', value: '192.0.2.9' };
  const INVALID = { type: 'test/fake-invalid-type', value: 'fake address teehee!' };
  const staticCases: Array<{ name: string; addresses: Array<{ type?: string; value?: string }>; types?: string[]; want: string[]; served: boolean }> = [
    { name: 'one wsgate has: accepted and programmed', addresses: [{ value: USABLE.value }], want: ['Accepted=True/Accepted', 'Programmed=True/Programmed'], served: true },
    { name: 'one it did not assign: Programmed=False/AddressNotUsable', addresses: [UNUSABLE], want: ['Accepted=True/Accepted', 'Programmed=False/AddressNotUsable'], served: false },
    { name: 'an unknown type: Accepted=False/UnsupportedAddress', addresses: [INVALID], want: ['Accepted=False/UnsupportedAddress', 'Programmed=False/Invalid'], served: false },
    { name: 'an IPAddress that is no IP: UnsupportedAddress', addresses: [{ type: 'IPAddress', value: 'not-an-ip' }], want: ['Accepted=False/UnsupportedAddress', 'Programmed=False/Invalid'], served: false },
    { name: 'invalid, unusable and usable (the suite\'s first step): UnsupportedAddress', addresses: [INVALID, UNUSABLE, USABLE], want: ['Accepted=False/UnsupportedAddress', 'Programmed=False/Invalid'], served: false },
    { name: 'unusable and usable (its second step): AddressNotUsable', addresses: [UNUSABLE, USABLE], want: ['Accepted=True/Accepted', 'Programmed=False/AddressNotUsable'], served: false },
    { name: 'a Hostname where wsgate hands out IPs only (an address pool): UnsupportedAddress', addresses: [{ type: 'Hostname', value: 'gw.example.com' }], types: ['IPAddress'], want: ['Accepted=False/UnsupportedAddress', 'Programmed=False/Invalid'], served: false },
  ];
  for (const c of staticCases) {
    it(`spec.addresses: ${c.name}`, () => {
      const out = translate(input({ gateways: [gateway('gw', [listener('http')], { addresses: c.addresses })], ...(c.types ? { addressTypes: c.types } : {}) }));
      assert.deepEqual(gw(out).conditions.map(brief), c.want);
      assert.equal(out.listeners.length, c.served ? 1 : 0);
      assert.deepEqual(gw(out).addresses, [USABLE], 'status.addresses: what wsgate assigned, never the unusable one');
    });
  }

  it('an address without a value (GatewayAddressEmpty) takes one of wsgate\'s of its type; of a type wsgate has none of: UnsupportedAddress', () => {
    const ip = translate(input({ gateways: [gateway('gw', [listener('http')], { addresses: [{ type: 'IPAddress' }] })] }));
    assert.deepEqual(gw(ip).conditions.map(brief), ['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    assert.deepEqual(gw(ip).addresses, [{ type: 'IPAddress', value: ADDRESS.value }]);
    const untyped = translate(input({ gateways: [gateway('gw', [listener('http')], { addresses: [{ value: '' }] })] }));
    assert.equal(brief(gw(untyped).conditions[0]), 'Accepted=True/Accepted');
    const hostname = translate(input({ gateways: [gateway('gw', [listener('http')], { addresses: [{ type: 'Hostname' }] })] }));
    assert.deepEqual(gw(hostname).conditions.map(brief), ['Accepted=False/UnsupportedAddress', 'Programmed=False/Invalid']);
    assert.match(gw(hostname).conditions[0]!.message, /cannot assign an address of type Hostname/);
    const pending = translate(input({ addresses: [], gateways: [gateway('gw', [listener('http')], { addresses: [{ type: 'IPAddress' }] })] }));
    assert.deepEqual(gw(pending).conditions.map(brief), ['Accepted=True/Accepted', 'Programmed=False/AddressNotAssigned'], 'none assigned yet: waiting, not refused');
  });

  it('unsupported Gateway fields are reported, not ignored', () => {
    const infra = translate(input({ gateways: [gateway('gw', [listener('http')], { infrastructure: { parametersRef: { group: 'a', kind: 'B', name: 'c' } } })] }));
    assert.equal(brief(gw(infra).conditions[0]), 'Accepted=False/InvalidParameters');
  });

  const listenerCases: Array<{ name: string; listeners: ReturnType<typeof listener>[]; ports?: number[]; gateway: string; want: Record<string, { conditions: string[]; kinds: number }> }> = [
    {
      name: 'only an unsupported protocol: Gateway Accepted=False/ListenersNotValid, listener UnsupportedProtocol with no kinds',
      listeners: [listener('tcp', { protocol: 'TCP', port: 9000 })],
      gateway: 'Accepted=False/ListenersNotValid',
      want: { tcp: { conditions: ['Accepted=False/UnsupportedProtocol', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'], kinds: 0 } },
    },
    {
      name: 'one supported and one unsupported protocol: Gateway Accepted=True/ListenersNotValid',
      listeners: [listener('http'), listener('udp', { protocol: 'UDP', port: 53 })],
      gateway: 'Accepted=True/ListenersNotValid',
      want: {
        http: { conditions: ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'], kinds: 1 },
        udp: { conditions: ['Accepted=False/UnsupportedProtocol', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'], kinds: 0 },
      },
    },
    {
      name: 'a port wsgate does not serve: PortUnavailable',
      listeners: [listener('http'), listener('odd', { port: 8081 })],
      ports: [80, 443, 8080],
      gateway: 'Accepted=True/ListenersNotValid',
      want: { odd: { conditions: ['Accepted=False/PortUnavailable', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'], kinds: 1 } },
    },
    {
      name: 'HTTP and HTTPS on one port: ProtocolConflict on both',
      listeners: [listener('a', { port: 8443 }), listener('b', { port: 8443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] } })],
      gateway: 'Accepted=False/ListenersNotValid',
      want: {
        a: { conditions: ['Accepted=False/ProtocolConflict', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=True/ProtocolConflict'], kinds: 1 },
        b: { conditions: ['Accepted=False/ProtocolConflict', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=True/ProtocolConflict'], kinds: 1 },
      },
    },
    {
      name: 'the same hostname twice on one port: HostnameConflict; a different hostname on that port is fine',
      listeners: [listener('a', { hostname: 'x.example.com' }), listener('b', { hostname: 'x.example.com' }), listener('c', { hostname: 'y.example.com' })],
      gateway: 'Accepted=True/ListenersNotValid',
      want: {
        a: { conditions: ['Accepted=False/HostnameConflict', 'Programmed=False/HostnameConflict', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=True/HostnameConflict'], kinds: 1 },
        c: { conditions: ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'], kinds: 1 },
      },
    },
    {
      name: 'only invalid route kinds: ResolvedRefs=False/InvalidRouteKinds and no supportedKinds',
      listeners: [listener('http', { allowedRoutes: { kinds: [{ kind: 'FooRoute' }] } })],
      gateway: 'Accepted=True/ListenersNotValid',
      want: { http: { conditions: ['Accepted=True/Accepted', 'Programmed=False/Invalid', 'ResolvedRefs=False/InvalidRouteKinds', 'Conflicted=False/NoConflicts'], kinds: 0 } },
    },
    {
      name: 'HTTPRoute and an invalid kind: InvalidRouteKinds, HTTPRoute in supportedKinds, still programmed',
      listeners: [listener('http', { allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }, { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' }] } })],
      gateway: 'Accepted=True/ListenersNotValid',
      want: { http: { conditions: ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=False/InvalidRouteKinds', 'Conflicted=False/NoConflicts'], kinds: 1 } },
    },
    ...(
      [
        ['an unknown tls.options key', { 'example.com/cipher': 'x' }],
        ['a wsgate.io/min-version that is no TLS version', { 'wsgate.io/min-version': 'TLSv1.1' }],
        ['an unknown cipher in wsgate.io/ciphers', { 'wsgate.io/ciphers': 'ECDHE-RSA-AES128-GCM-SHA256:RC4-BOGUS' }],
        ['an unknown curve in wsgate.io/ecdh-curves', { 'wsgate.io/ecdh-curves': 'X25519:P-999' }],
        ['a minimum above the maximum', { 'wsgate.io/min-version': 'TLSv1.3', 'wsgate.io/max-version': 'TLSv1.2' }],
        ['an unknown protocol in wsgate.io/alpn', { 'wsgate.io/alpn': 'h2,http/1.1,spdy/3' }],
        ['a wsgate.io/alpn without http/1.1', { 'wsgate.io/alpn': 'h2' }],
      ] as const
    ).map(([what, options]) => ({
      name: `tls.options refused: ${what} (UnsupportedValue)`,
      listeners: [httpsListener('https', [{ name: 'cert' }], {}), listener('http')].map((l, i) => (i === 0 ? { ...l, tls: { ...l.tls, options: { ...options } } } : l)),
      gateway: 'Accepted=True/ListenersNotValid',
      want: { https: { conditions: ['Accepted=False/UnsupportedValue', 'Programmed=False/Invalid', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts'], kinds: 1 } },
    })),
  ];
  for (const c of listenerCases) {
    it(c.name, () => {
      const out = translate(input({ gateways: [gateway('gw', c.listeners)], secrets: [secret('cert')], ...(c.ports ? { ports: c.ports } : {}) }));
      assert.equal(brief(gw(out).conditions[0]), c.gateway);
      for (const [name, want] of Object.entries(c.want)) {
        const l = lis(out, name);
        assert.deepEqual(l.conditions.map(brief), want.conditions, `listener ${name}`);
        assert.equal(l.supportedKinds.length, want.kinds, `listener ${name} supportedKinds`);
      }
    });
  }
});

describe('HTTPS listeners: tls.options as a TLS policy', () => {
  it('the wsgate.io keys become the programmed listener\'s policy, and the status names an unknown key', () => {
    const options = { 'wsgate.io/min-version': 'TLSv1.3', 'wsgate.io/ciphers': 'TLS_AES_256_GCM_SHA384', 'wsgate.io/ecdh-curves': 'X25519:P-256' };
    const ok = translate(input({ gateways: [gateway('gw', [httpsListener('https', [{ name: 'cert' }], { tls: { mode: 'Terminate', certificateRefs: [{ name: 'cert' }], options } })])], secrets: [secret('cert')] }));
    assert.equal(brief(lis(ok, 'https').conditions[0]), 'Accepted=True/Accepted');
    assert.deepEqual(ok.listeners[0]!.tlsPolicy, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384', ecdhCurves: 'X25519:P-256' });

    const refused = translate(input({ gateways: [gateway('gw', [httpsListener('https', [{ name: 'cert' }], { tls: { mode: 'Terminate', certificateRefs: [{ name: 'cert' }], options: { ...options, 'example.com/x': 'h2' } } })])], secrets: [secret('cert')] }));
    const accepted = lis(refused, 'https').conditions[0]!;
    assert.equal(accepted.status, 'False');
    assert.match(accepted.message, /example\.com\/x not supported/);
    assert.equal(refused.listeners.length, 0);
  });

  it('wsgate.io/alpn: the listener\'s ALPN list (http/1.1 alone turns HTTP/2 off there); a bad one is refused with the reason', () => {
    const withAlpn = (alpn: string) =>
      translate(input({ gateways: [gateway('gw', [httpsListener('https', [{ name: 'cert' }], { tls: { mode: 'Terminate', certificateRefs: [{ name: 'cert' }], options: { 'wsgate.io/alpn': alpn } } })])], secrets: [secret('cert')] }));
    assert.deepEqual(withAlpn('http/1.1').listeners[0]!.tlsPolicy, { alpn: ['http/1.1'] });
    assert.deepEqual(withAlpn(' http/1.1 , h2 ').listeners[0]!.tlsPolicy, { alpn: ['http/1.1', 'h2'] });
    const unknown = lis(withAlpn('h2,h3,http/1.1'), 'https').conditions[0]!;
    assert.match(unknown.message, /wsgate\.io\/alpn: unknown ALPN protocol h3/);
    const noH1 = lis(withAlpn('h2'), 'https').conditions[0]!;
    assert.match(noH1.message, /wsgate\.io\/alpn: the ALPN list must offer http\/1\.1/);
  });

  it('a listener without tls.options has no policy of its own', () => {
    const out = translate(input({ gateways: [gateway('gw', [httpsListener('https', [{ name: 'cert' }])])], secrets: [secret('cert')] }));
    assert.equal(out.listeners[0]!.tlsPolicy, undefined);
  });
});

describe('HTTPS listeners: certificateRefs and ReferenceGrants', () => {
  const cases: Array<{ name: string; refs: Array<{ group?: string; kind?: string; name: string; namespace?: string }>; grants?: TranslateInput['referenceGrants']; secrets?: () => Secret[]; want: string }> = [
    { name: 'a Secret in the Gateway\'s namespace', refs: [{ name: 'cert' }], want: 'ResolvedRefs=True/ResolvedRefs' },
    { name: 'a Secret that does not exist', refs: [{ name: 'missing' }], want: 'ResolvedRefs=False/InvalidCertificateRef' },
    { name: 'an unsupported group', refs: [{ group: 'example.com', kind: 'Secret', name: 'cert' }], want: 'ResolvedRefs=False/InvalidCertificateRef' },
    { name: 'an unsupported kind', refs: [{ kind: 'WrongKind', name: 'cert' }], want: 'ResolvedRefs=False/InvalidCertificateRef' },
    {
      name: 'a malformed certificate',
      refs: [{ name: 'bad' }],
      secrets: () => [{ metadata: { name: 'bad', namespace: 'infra' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'SGVsbG8gd29ybGQK', 'tls.key': 'SGVsbG8gd29ybGQK' } }],
      want: 'ResolvedRefs=False/InvalidCertificateRef',
    },
    { name: 'another namespace without a ReferenceGrant', refs: [{ name: 'cert', namespace: 'certs' }], want: 'ResolvedRefs=False/RefNotPermitted' },
    {
      name: 'another namespace with a ReferenceGrant for that Secret',
      refs: [{ name: 'cert', namespace: 'certs' }],
      grants: [grant('certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }], [{ group: '', kind: 'Secret', name: 'cert' }])],
      want: 'ResolvedRefs=True/ResolvedRefs',
    },
    {
      name: 'another namespace with a ReferenceGrant for every Secret there',
      refs: [{ name: 'cert', namespace: 'certs' }],
      grants: [grant('certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }], [{ group: '', kind: 'Secret' }])],
      want: 'ResolvedRefs=True/ResolvedRefs',
    },
    {
      name: 'a ReferenceGrant for another Secret name',
      refs: [{ name: 'cert', namespace: 'certs' }],
      grants: [grant('certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }], [{ group: '', kind: 'Secret', name: 'other' }])],
      want: 'ResolvedRefs=False/RefNotPermitted',
    },
    {
      name: 'a ReferenceGrant from another namespace',
      refs: [{ name: 'cert', namespace: 'certs' }],
      grants: [grant('certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'elsewhere' }], [{ group: '', kind: 'Secret' }])],
      want: 'ResolvedRefs=False/RefNotPermitted',
    },
    {
      name: 'a ReferenceGrant in the wrong namespace (the referrer\'s)',
      refs: [{ name: 'cert', namespace: 'certs' }],
      grants: [grant('infra', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }], [{ group: '', kind: 'Secret' }])],
      want: 'ResolvedRefs=False/RefNotPermitted',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const secrets = c.secrets ? c.secrets() : [secret('cert'), secret('cert', 'certs')];
      const out = translate(input({ gateways: [gateway('gw', [httpsListener('https', c.refs)])], referenceGrants: c.grants ?? [], secrets }));
      const l = lis(out, 'https');
      assert.equal(brief(cond(l.conditions, 'ResolvedRefs')), c.want);
      const ok = c.want.endsWith('True/ResolvedRefs');
      assert.equal(brief(cond(l.conditions, 'Programmed')), ok ? 'Programmed=True/Programmed' : 'Programmed=False/Invalid');
      assert.equal(out.listeners.length, ok ? 1 : 0);
      if (ok) assert.deepEqual(out.listeners[0]!.certificates, [{ namespace: c.refs[0]!.namespace ?? 'infra', name: 'cert' }]);
    });
  }
});

const ALL = { allowedRoutes: { namespaces: { from: 'All' as const } } };

describe('HTTPRoute attachment: parentRefs, allowedRoutes, hostnames', () => {
  const cases: Array<{ name: string; listeners: ReturnType<typeof listener>[]; route: Partial<HTTPRoute['spec']>; routeNs?: string; want: string; attached?: Record<string, number>; hostnames?: string[][] }> = [
    { name: 'whole Gateway', listeners: [listener('http', ALL)], route: {}, want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs', attached: { http: 1 }, hostnames: [[]] },
    {
      name: 'sectionName selects one listener',
      listeners: [listener('a', { ...ALL, hostname: 'a.example.com' }), listener('b', { ...ALL, hostname: 'b.example.com' })],
      route: { parentRefs: [parent('gw', { sectionName: 'b' })] },
      want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs',
      attached: { a: 0, b: 1 },
      hostnames: [['b.example.com']],
    },
    { name: 'sectionName of no listener: NoMatchingParent', listeners: [listener('http')], route: { parentRefs: [parent('gw', { sectionName: 'nope' })] }, want: 'Accepted=False/NoMatchingParent ResolvedRefs=True/ResolvedRefs', attached: { http: 0 } },
    {
      name: 'port selects the listeners on it',
      listeners: [listener('a', ALL), listener('b', { ...ALL, port: 8080 })],
      route: { parentRefs: [parent('gw', { port: 8080 })] },
      want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs',
      attached: { a: 0, b: 1 },
    },
    { name: 'a port no listener has: NoMatchingParent', listeners: [listener('http')], route: { parentRefs: [parent('gw', { port: 81 })] }, want: 'Accepted=False/NoMatchingParent ResolvedRefs=True/ResolvedRefs' },
    { name: 'sectionName and a port it does not have: NoMatchingParent', listeners: [listener('http')], route: { parentRefs: [parent('gw', { sectionName: 'http', port: 8080 })] }, want: 'Accepted=False/NoMatchingParent ResolvedRefs=True/ResolvedRefs' },
    { name: 'allowedRoutes Same (default), route in the Gateway\'s namespace', listeners: [listener('http')], route: {}, routeNs: 'infra', want: 'Accepted=True/Accepted ResolvedRefs=False/BackendNotFound' },
    { name: 'allowedRoutes Same, route elsewhere: NotAllowedByListeners', listeners: [listener('http', { allowedRoutes: { namespaces: { from: 'Same' } } })], route: {}, want: 'Accepted=False/NotAllowedByListeners ResolvedRefs=True/ResolvedRefs', attached: { http: 0 } },
    { name: 'allowedRoutes All', listeners: [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } })], route: {}, want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs', attached: { http: 1 } },
    {
      name: 'allowedRoutes Selector matchLabels, matching',
      listeners: [listener('http', { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' } } } } })],
      route: {},
      want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs',
    },
    {
      name: 'allowedRoutes Selector matchLabels, not matching: NotAllowedByListeners',
      listeners: [listener('http', { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'b' } } } } })],
      route: {},
      want: 'Accepted=False/NotAllowedByListeners ResolvedRefs=True/ResolvedRefs',
    },
    {
      name: 'allowedRoutes Selector matchExpressions In',
      listeners: [listener('http', { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'c'] }] } } } })],
      route: {},
      want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs',
    },
    {
      name: 'allowedRoutes Selector matchExpressions DoesNotExist: NotAllowedByListeners',
      listeners: [listener('http', { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } } } })],
      route: {},
      want: 'Accepted=False/NotAllowedByListeners ResolvedRefs=True/ResolvedRefs',
    },
    {
      name: 'no listener hostname matches: NoMatchingListenerHostname',
      listeners: [listener('http', { hostname: 'a.example.com', allowedRoutes: { namespaces: { from: 'All' } } })],
      route: { hostnames: ['b.example.com'] },
      want: 'Accepted=False/NoMatchingListenerHostname ResolvedRefs=True/ResolvedRefs',
      attached: { http: 0 },
    },
    {
      name: 'wildcard listener, two route names, one matching: only it is served',
      listeners: [listener('http', { hostname: '*.example.com', allowedRoutes: { namespaces: { from: 'All' } } })],
      route: { hostnames: ['test.example.com', 'test.example.net'] },
      want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs',
      hostnames: [['test.example.com']],
    },
    {
      name: 'attaches to the hostname-matching listeners only, each with its intersection',
      listeners: [
        listener('any', { port: 8080, allowedRoutes: { namespaces: { from: 'All' } } }),
        listener('wild', { hostname: '*.example.com', allowedRoutes: { namespaces: { from: 'All' } } }),
        listener('other', { hostname: 'x.example.net', allowedRoutes: { namespaces: { from: 'All' } } }),
      ],
      route: { hostnames: ['*.example.com'] },
      want: 'Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs',
      attached: { any: 1, wild: 1, other: 0 },
      hostnames: [['*.example.com'], ['*.example.com']],
    },
    {
      name: 'a listener that is not valid carries nothing: NotAllowedByListeners',
      listeners: [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } }), listener('dup', { allowedRoutes: { namespaces: { from: 'All' } } })],
      route: {},
      want: 'Accepted=False/NotAllowedByListeners ResolvedRefs=True/ResolvedRefs',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = route('r', c.route, c.routeNs ?? 'apps');
      const out = translate(input({ gateways: [gateway('gw', c.listeners)], httpRoutes: [r] }));
      assert.deepEqual(parents(out, 'r', c.routeNs ?? 'apps'), [c.want]);
      for (const [name, n] of Object.entries(c.attached ?? {})) assert.equal(lis(out, name).attachedRoutes, n, `attachedRoutes of ${name}`);
      if (c.hostnames) assert.deepEqual(entries(out, 'r', c.routeNs ?? 'apps').map((e) => e.hostnames), c.hostnames);
      if (!c.want.startsWith('Accepted=True')) assert.equal(entries(out, 'r', c.routeNs ?? 'apps').length, 0, 'a route that is not accepted has no entries');
    });
  }

  it('parentRefs to other controllers\' Gateways, to missing Gateways or of other kinds are not ours to report', () => {
    const out = translate(
      input({
        gateways: [gateway('gw', [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } })]), gateway('theirs', [listener('http')], { gatewayClassName: 'other' })],
        httpRoutes: [route('r', { parentRefs: [parent('theirs'), parent('missing'), { group: '', kind: 'Service', name: 'mesh' }, parent('gw')] })],
      }),
    );
    const s = out.httpRoutes.get('apps/r')!;
    assert.deepEqual(s.parents.map((p) => p.parentRef.name), ['gw']);
  });

  it('a route with two parentRefs to two Gateways: one status entry per parentRef, entries per listener', () => {
    const all = { allowedRoutes: { namespaces: { from: 'All' as const } } };
    const out = translate(
      input({
        gateways: [gateway('gw', [listener('http', all)]), gateway('gw2', [listener('http', all)])],
        httpRoutes: [route('r', { parentRefs: [parent('gw'), parent('gw2')] })],
      }),
    );
    assert.equal(parents(out, 'r').length, 2);
    assert.deepEqual(entries(out, 'r').map((e) => `${e.listener.gatewayName}/${e.listener.listenerName}`), ['gw/http', 'gw2/http']);
    assert.equal(lis(out, 'http', 'gw2').attachedRoutes, 1);
  });

  it('a listener with an unresolved certificate still counts its attached route, and serves nothing', () => {
    const all = { allowedRoutes: { namespaces: { from: 'All' as const } } };
    const out = translate(
      input({
        gateways: [gateway('gw', [httpsListener('tls', [{ name: 'does-not-exist' }], all)])],
        httpRoutes: [route('r', { parentRefs: [parent('gw', { sectionName: 'tls' })] })],
      }),
    );
    const l = lis(out, 'tls');
    assert.equal(l.attachedRoutes, 1);
    assert.equal(brief(cond(l.conditions, 'Programmed')), 'Programmed=False/Invalid');
    assert.equal(brief(cond(l.conditions, 'ResolvedRefs')), 'ResolvedRefs=False/InvalidCertificateRef');
    assert.match(parents(out, 'r')[0]!, /^Accepted=True\/Accepted/);
    assert.equal(entries(out, 'r').length, 0, 'no entries on a listener that is not programmed');
    assert.equal(out.listeners.length, 0);
  });

  it('attachedRoutes counts each accepted route once per listener', () => {
    const all = { allowedRoutes: { namespaces: { from: 'All' as const } } };
    const out = translate(
      input({
        gateways: [gateway('gw', [listener('http', all)])],
        httpRoutes: [
          route('a', { parentRefs: [parent('gw'), parent('gw', { sectionName: 'http' })] }),
          route('b'),
          route('c', { parentRefs: [parent('gw', { sectionName: 'nope' })] }),
        ],
      }),
    );
    assert.equal(lis(out, 'http').attachedRoutes, 2);
    assert.equal(entries(out, 'a').length, 1, 'one entry although two parentRefs select the listener');
  });
});

// Every other case attaches to a listener that allows all namespaces.
const openInput = (over: Partial<TranslateInput> = {}) =>
  input({ gateways: [gateway('gw', [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } })])], ...over });

describe('HTTPRoute backendRefs: ResolvedRefs, ReferenceGrants, weights, appProtocol', () => {
  const cases: Array<{ name: string; backendRefs: NonNullable<ReturnType<typeof rule>['backendRefs']>; grants?: TranslateInput['referenceGrants']; services?: ReturnType<typeof service>[]; want: string; backends: string[] }> = [
    { name: 'a Service port in the route\'s namespace', backendRefs: [{ name: 'echo', port: 8080 }], want: 'ResolvedRefs=True/ResolvedRefs', backends: ['apps/echo:8080 w1 ws'] },
    { name: 'a Service that does not exist: BackendNotFound', backendRefs: [{ name: 'nope', port: 8080 }], want: 'ResolvedRefs=False/BackendNotFound', backends: ['invalid BackendNotFound w1'] },
    { name: 'a port the Service does not have: BackendNotFound', backendRefs: [{ name: 'echo', port: 9 }], want: 'ResolvedRefs=False/BackendNotFound', backends: ['invalid BackendNotFound w1'] },
    { name: 'an unknown kind: InvalidKind', backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'echo', port: 8080 }], want: 'ResolvedRefs=False/InvalidKind', backends: ['invalid InvalidKind w1'] },
    { name: 'another namespace without a ReferenceGrant: RefNotPermitted', backendRefs: [{ name: 'echo', namespace: 'other', port: 8080 }], want: 'ResolvedRefs=False/RefNotPermitted', backends: ['invalid RefNotPermitted w1'] },
    {
      name: 'another namespace with a ReferenceGrant',
      backendRefs: [{ name: 'echo', namespace: 'other', port: 8080 }],
      grants: [grant('other', [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps' }], [{ group: '', kind: 'Service', name: 'echo' }])],
      want: 'ResolvedRefs=True/ResolvedRefs',
      backends: ['other/echo:8080 w1 ws'],
    },
    {
      name: 'a ReferenceGrant for Gateways does not let routes in',
      backendRefs: [{ name: 'echo', namespace: 'other', port: 8080 }],
      grants: [grant('other', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'apps' }], [{ group: '', kind: 'Service' }])],
      want: 'ResolvedRefs=False/RefNotPermitted',
      backends: ['invalid RefNotPermitted w1'],
    },
    {
      name: 'weights are kept, a valid and an invalid backend side by side (the invalid share gets 500s)',
      backendRefs: [{ name: 'echo', port: 8080, weight: 3 }, { name: 'gone', port: 8080, weight: 1 }, { name: 'echo', port: 8080, weight: 0 }],
      want: 'ResolvedRefs=False/BackendNotFound',
      backends: ['apps/echo:8080 w3 ws', 'invalid BackendNotFound w1', 'apps/echo:8080 w0 ws'],
    },
    {
      name: 'appProtocol kubernetes.io/ws and kubernetes.io/wss (GEP-1911) choose the scheme',
      backendRefs: [{ name: 'ws', port: 80 }, { name: 'wss', port: 443 }],
      services: [service('ws', 'apps', [{ port: 80, appProtocol: 'kubernetes.io/ws' }]), service('wss', 'apps', [{ port: 443, appProtocol: 'kubernetes.io/wss' }])],
      want: 'ResolvedRefs=True/ResolvedRefs',
      backends: ['apps/ws:80 w1 ws', 'apps/wss:443 w1 wss'],
    },
    {
      name: 'appProtocol kubernetes.io/h2c: scheme ws, plain requests over h2c',
      backendRefs: [{ name: 'h2c', port: 80 }, { name: 'ws', port: 81 }],
      services: [service('h2c', 'apps', [{ port: 80, appProtocol: 'kubernetes.io/h2c' }]), service('ws', 'apps', [{ port: 81, appProtocol: 'kubernetes.io/ws' }])],
      want: 'ResolvedRefs=True/ResolvedRefs',
      backends: ['apps/h2c:80 w1 ws h2c', 'apps/ws:81 w1 ws'],
    },
    {
      name: 'an appProtocol wsgate does not speak: UnsupportedProtocol',
      backendRefs: [{ name: 'grpc', port: 80 }],
      services: [service('grpc', 'apps', [{ port: 80, appProtocol: 'kubernetes.io/grpc' }])],
      want: 'ResolvedRefs=False/UnsupportedProtocol',
      backends: ['invalid UnsupportedProtocol w1'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(
        openInput({
          httpRoutes: [route('r', { rules: [rule({ backendRefs: c.backendRefs })] })],
          referenceGrants: c.grants ?? [],
          services: c.services ?? [service('echo'), service('echo', 'other')],
        }),
      );
      assert.deepEqual(parents(out, 'r'), [`Accepted=True/Accepted ${c.want}`]);
      const [e] = entries(out, 'r');
      assert.deepEqual(
        e!.backends.map((b) => (b.valid ? `${b.namespace}/${b.name}:${b.port} w${b.weight} ${b.scheme}${b.protocol ? ` ${b.protocol}` : ''}` : `invalid ${b.reason} w${b.weight}`)),
        c.backends,
      );
    });
  }

  it('a rule without backendRefs is kept (every request gets a 500)', () => {
    const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule({ backendRefs: [] })] })] }));
    assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs']);
    assert.deepEqual(entries(out, 'r')[0]!.backends, []);
  });
});

describe('HTTPRoute matches, filters and timeouts in the route model', () => {
  it('matches: path, lower-cased header names, query params as written, method; no matches means PathPrefix /', () => {
    const out = translate(
      openInput({
        httpRoutes: [
          route('r', {
            rules: [
              rule({
                matches: [
                  { path: { type: 'Exact', value: '/chat' }, headers: [{ name: 'X-Tenant', value: 'A' }], queryParams: [{ name: 'Room', value: '1' }], method: 'GET' },
                  { path: { type: 'PathPrefix', value: '/api' } },
                ],
              }),
              rule({ matches: [] }),
            ],
          }),
        ],
      }),
    );
    const es = entries(out, 'r');
    const byKey = new Map(es.map((e) => [e.key.split('@')[0], e]));
    const m0 = byKey.get('HTTPRoute/apps/r/rule-0/match-0')!;
    assert.deepEqual(m0.path, { type: 'Exact', value: '/chat' });
    assert.deepEqual(m0.headers, [{ name: 'x-tenant', value: 'A' }]);
    assert.deepEqual(m0.queryParams, [{ name: 'Room', value: '1' }]);
    assert.equal(m0.method, 'GET');
    assert.deepEqual(byKey.get('HTTPRoute/apps/r/rule-0/match-1')!.path, { type: 'PathPrefix', value: '/api' });
    assert.deepEqual(byKey.get('HTTPRoute/apps/r/rule-1/match-0')!.path, { type: 'PathPrefix', value: '/' });
  });

  it('filters: RequestHeaderModifier, ResponseHeaderModifier, URLRewrite, RequestRedirect (302 by default); backend-level header filters', () => {
    const out = translate(
      openInput({
        httpRoutes: [
          route('r', {
            rules: [
              rule({
                filters: [
                  { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-A', value: '1' }], add: [{ name: 'X-B', value: '2' }], remove: ['X-C'] } },
                  { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-R', value: 'r' }] } },
                  { type: 'URLRewrite', urlRewrite: { hostname: 'backend.internal', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } },
                ],
                backendRefs: [{ name: 'echo', port: 8080, filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'X-Backend', value: 'echo' }] } }] }],
              }),
              rule({ matches: [{ path: { type: 'Exact', value: '/old' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', path: { type: 'ReplaceFullPath', replaceFullPath: '/new' } } }], backendRefs: [] }),
            ],
          }),
        ],
      }),
    );
    const [a, b] = [...entries(out, 'r')].sort((x, y) => x.source.ruleIndex - y.source.ruleIndex);
    assert.deepEqual(a!.filters, {
      requestHeaders: { set: [{ name: 'x-a', value: '1' }], add: [{ name: 'x-b', value: '2' }], remove: ['x-c'] },
      responseHeaders: { set: [{ name: 'x-r', value: 'r' }], add: [], remove: [] },
      urlRewrite: { hostname: 'backend.internal', path: { type: 'ReplacePrefixMatch', value: '/v2' } },
    });
    assert.deepEqual((a!.backends[0] as { requestHeaders?: unknown }).requestHeaders, { set: [], add: [{ name: 'x-backend', value: 'echo' }], remove: [] });
    assert.deepEqual(b!.filters, { redirect: { scheme: 'https', path: { type: 'ReplaceFullPath', value: '/new' }, statusCode: 302 } });
  });

  it('timeouts: request and backendRequest in milliseconds', () => {
    const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule({ timeouts: { request: '10s', backendRequest: '1m30s' } })] })] }));
    assert.deepEqual(entries(out, 'r')[0]!.timeouts, { requestMs: 10_000, backendRequestMs: 90_000 });
  });
});

describe('the CORS filter in the route model', () => {
  const cases: Array<{ name: string; cors: NonNullable<HTTPRouteFilter['cors']>; want: NonNullable<GatewayRouteEntry['filters']['cors']> }> = [
    {
      name: 'every field as written; origins lower-cased',
      cors: { allowOrigins: ['https://www.Foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'X-Header-2'], exposeHeaders: ['x-header-3'], allowCredentials: true, maxAge: 3600 },
      want: { allowOrigins: ['https://www.foo.com', 'https://*.bar.com'], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'X-Header-2'], exposeHeaders: ['x-header-3'], allowCredentials: true, maxAgeSeconds: 3600 },
    },
    {
      name: 'defaults: no credentials, maxAge 5 (the CRD default), empty lists',
      cors: { allowOrigins: ['*'] },
      want: { allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false, maxAgeSeconds: 5 },
    },
    {
      name: 'the scheme\'s default port is dropped (the spec assumes it), another port kept',
      cors: { allowOrigins: ['https://a.example:443', 'http://b.example:80', 'http://c.example:8080'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: ['*'] },
      want: { allowOrigins: ['https://a.example', 'http://b.example', 'http://c.example:8080'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: ['*'], allowCredentials: false, maxAgeSeconds: 5 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule({ filters: [{ type: 'CORS', cors: c.cors }] })] })] }));
      assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs']);
      assert.deepEqual(entries(out, 'r')[0]!.filters, { cors: c.want });
    });
  }
});

describe('RequestMirror filters in the route model', () => {
  const mirror = (over: Partial<NonNullable<HTTPRouteFilter['requestMirror']>> = {}): HTTPRouteFilter => ({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'echo', port: 8080 }, ...over } });
  const cases: Array<{ name: string; filters: HTTPRouteFilter[]; want: number[] }> = [
    { name: 'no share given: every request', filters: [mirror()], want: [100] },
    { name: 'percent', filters: [mirror({ percent: 42 })], want: [42] },
    { name: 'fraction (denominator 100 by default)', filters: [mirror({ fraction: { numerator: 1, denominator: 4 } })], want: [25] },
    { name: 'fraction without denominator', filters: [mirror({ fraction: { numerator: 7 } })], want: [7] },
    { name: 'two mirrors, in filter order', filters: [mirror({ percent: 0 }), mirror()], want: [0, 100] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule({ filters: c.filters })] })] }));
      assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs']);
      const mirrors = entries(out, 'r')[0]!.filters.mirrors ?? [];
      assert.deepEqual(mirrors.map((m) => m.percent), c.want);
      for (const m of mirrors) assert.deepEqual([m.backend.namespace, m.backend.name, m.backend.port], ['apps', 'echo', 8080]);
    });
  }
});

describe('sessionPersistence (experimental channel) in the route model', () => {
  const cases: Array<{ name: string; sp: NonNullable<HTTPRoute['spec']['rules']>[number]['sessionPersistence']; want: GatewayRouteEntry['sessionPersistence'] }> = [
    { name: 'nothing set: a Session cookie named as wsgate\'s affinity cookie, no end', sp: {}, want: { type: 'Cookie', name: 'wsgate-affinity', lifetime: 'Session' } },
    {
      name: 'a Permanent cookie with its absoluteTimeout',
      sp: { sessionName: 'chat-session', absoluteTimeout: '1h30m', cookieConfig: { lifetimeType: 'Permanent' } },
      want: { type: 'Cookie', name: 'chat-session', lifetime: 'Permanent', absoluteTimeoutMs: 5_400_000 },
    },
    { name: 'a Session cookie that still ends after absoluteTimeout', sp: { absoluteTimeout: '10m' }, want: { type: 'Cookie', name: 'wsgate-affinity', lifetime: 'Session', absoluteTimeoutMs: 600_000 } },
    { name: 'a header without a name: wsgate-session', sp: { type: 'Header' }, want: { type: 'Header', name: 'wsgate-session', lifetime: 'Session' } },
    { name: 'a named header with an end', sp: { type: 'Header', sessionName: 'X-Session', absoluteTimeout: '30s' }, want: { type: 'Header', name: 'X-Session', lifetime: 'Session', absoluteTimeoutMs: 30_000 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule({ sessionPersistence: c.sp })] })] }));
      assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs']);
      assert.deepEqual(entries(out, 'r')[0]!.sessionPersistence, c.want);
    });
  }
  it('a rule without it has none', () => {
    const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule()] })] }));
    assert.equal(entries(out, 'r')[0]!.sessionPersistence, undefined);
  });
});

describe('retry (experimental channel) in the route model', () => {
  const cases: Array<{ name: string; retry: NonNullable<HTTPRoute['spec']['rules']>[number]['retry']; want: GatewayRouteEntry['retry'] }> = [
    { name: 'nothing set: one retry after 25ms, on no status code', retry: {}, want: { codes: [], attempts: 1, backoffMs: 25 } },
    { name: 'the conformance route: 500 three times', retry: { codes: [500], attempts: 3 }, want: { codes: [500], attempts: 3, backoffMs: 25 } },
    { name: 'codes sorted and deduplicated, backoff parsed', retry: { codes: [504, 500, 503, 500], attempts: 2, backoff: '1s500ms' }, want: { codes: [500, 503, 504], attempts: 2, backoffMs: 1500 } },
    { name: 'a 4xx code (the spec allows them)', retry: { codes: [429], backoff: '0s' }, want: { codes: [429], attempts: 1, backoffMs: 0 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule({ retry: c.retry })] })] }));
      assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs']);
      assert.deepEqual(entries(out, 'r')[0]!.retry, c.want);
    });
  }
  it('a rule without it has none', () => {
    const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule()] })] }));
    assert.equal(entries(out, 'r')[0]!.retry, undefined);
  });
});

describe('unsupported values are reported: UnsupportedValue, PartiallyInvalid', () => {
  const unsupported: Array<[string, ReturnType<typeof rule>]> = [
    ['a RegularExpression path', rule({ matches: [{ path: { type: 'RegularExpression', value: '/a.*' } }] })],
    ['a RegularExpression header match', rule({ matches: [{ headers: [{ type: 'RegularExpression', name: 'x', value: 'a.*' }] }] })],
    ['a RegularExpression query match', rule({ matches: [{ queryParams: [{ type: 'RegularExpression', name: 'x', value: 'a.*' }] }] })],
    ['method TRACE', rule({ matches: [{ method: 'TRACE' }] })],
    ['a RequestMirror to a Service that does not exist', rule({ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'missing', port: 8080 } } }] })],
    ['a RequestMirror with percent and fraction', rule({ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'echo', port: 8080 }, percent: 10, fraction: { numerator: 1 } } }] })],
    ['a RequestMirror fraction over 1', rule({ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'echo', port: 8080 }, fraction: { numerator: 3, denominator: 2 } } }] })],
    ['a RequestMirror on a backendRef', rule({ backendRefs: [{ name: 'echo', port: 8080, filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'echo', port: 8080 } } }] }] })],
    ['an ExtensionRef filter', rule({ filters: [{ type: 'ExtensionRef', extensionRef: { group: 'x', kind: 'Y', name: 'z' } }] })],
    ['a CORS filter on a backendRef', rule({ backendRefs: [{ name: 'echo', port: 8080, filters: [{ type: 'CORS', cors: { allowOrigins: ['*'] } }] }] })],
    ['a CORS origin of any host of a scheme (https://*)', rule({ filters: [{ type: 'CORS', cors: { allowOrigins: ['https://*'] } }] })],
    ['a CORS origin with a path', rule({ filters: [{ type: 'CORS', cors: { allowOrigins: ['https://a.example/app'] } }] })],
    ['a CORS allowHeaders entry with a line break', rule({ filters: [{ type: 'CORS', cors: { allowOrigins: ['*'], allowHeaders: ['x-a\r\nSet-Cookie: x=1'] } }] })],
    ['a CORS allowMethods of * beside a method', rule({ filters: [{ type: 'CORS', cors: { allowOrigins: ['*'], allowMethods: ['*', 'GET'] } }] })],
    ['a CORS maxAge of 0', rule({ filters: [{ type: 'CORS', cors: { allowOrigins: ['*'], maxAge: 0 } }] })],
    ['sessionPersistence of a type wsgate does not know', rule({ sessionPersistence: { type: 'Ticket' as 'Cookie' } })],
    ['a Permanent session cookie without absoluteTimeout', rule({ sessionPersistence: { cookieConfig: { lifetimeType: 'Permanent' } } })],
    ['sessionPersistence cookieConfig with type Header', rule({ sessionPersistence: { type: 'Header', cookieConfig: { lifetimeType: 'Session' } } })],
    ['a session header named Cookie', rule({ sessionPersistence: { type: 'Header', sessionName: 'Cookie' } })],
    ['a session header named Sec-WebSocket-Key', rule({ sessionPersistence: { type: 'Header', sessionName: 'Sec-WebSocket-Key' } })],
    ['a session name that is no token', rule({ sessionPersistence: { sessionName: 'a b' } })],
    ['an absoluteTimeout under a second', rule({ sessionPersistence: { absoluteTimeout: '500ms' } })],
    ['an absoluteTimeout that is not a duration', rule({ sessionPersistence: { absoluteTimeout: 'forever' } })],
    ['a URLRewrite on a backendRef', rule({ backendRefs: [{ name: 'echo', port: 8080, filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x' } }] }] })],
    ['URLRewrite together with RequestRedirect', rule({ filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'x' } }, { type: 'RequestRedirect', requestRedirect: { hostname: 'y' } }] })],
    ['ReplacePrefixMatch on an Exact match', rule({ matches: [{ path: { type: 'Exact', value: '/a' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } }] })],
    ['a timeout that is not a duration', rule({ timeouts: { request: 'soon' } })],
    ['a retry code under 400', rule({ retry: { codes: [500, 302] } })],
    ['a retry code over 599', rule({ retry: { codes: [600] } })],
    ['a retry code that is no integer', rule({ retry: { codes: [500.5] } })],
    ['retry attempts of 0', rule({ retry: { codes: [500], attempts: 0 } })],
    ['a retry backoff that is not a duration', rule({ retry: { codes: [500], backoff: 'a while' } })],
    ['a retry backoff longer than a Node.js timer', rule({ retry: { codes: [500], backoff: '600h' } })],
  ];
  for (const [name, bad] of unsupported) {
    it(`${name}: the only rule -> Accepted=False/UnsupportedValue, no entries`, () => {
      const out = translate(openInput({ httpRoutes: [route('r', { rules: [bad] })] }));
      assert.deepEqual(parents(out, 'r'), ['Accepted=False/UnsupportedValue ResolvedRefs=True/ResolvedRefs']);
      assert.equal(entries(out, 'r').length, 0);
      assert.match(cond(out.httpRoutes.get('apps/r')!.parents[0]!.conditions, 'Accepted')!.message, /spec\.rules\[0\]/);
    });
    it(`${name}: beside a valid rule -> Accepted, PartiallyInvalid "Dropped Rule", the valid rule served`, () => {
      const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule(), bad] })] }));
      assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs PartiallyInvalid=True/UnsupportedValue']);
      const pi = cond(out.httpRoutes.get('apps/r')!.parents[0]!.conditions, 'PartiallyInvalid')!;
      assert.match(pi.message, /^Dropped Rule\(s\) 1: spec\.rules\[1\]/);
      assert.deepEqual(entries(out, 'r').map((e) => e.source.ruleIndex), [0]);
    });
  }
});

describe('header modifier values that would split a header line are refused, naming the field', () => {
  type Kind = 'requestHeaderModifier' | 'responseHeaderModifier';
  const filter = (kind: Kind, op: 'set' | 'add', value: string, name = 'X-Injected') => {
    const headers = [{ name: 'X-Fine', value: 'ok' }, { name, value }];
    const type = kind === 'requestHeaderModifier' ? 'RequestHeaderModifier' : 'ResponseHeaderModifier';
    return { type, [kind]: { [op]: headers } } as HTTPRouteFilter;
  };
  // A harmless filter first, so the field path has to carry the bad filter's own index.
  const harmless: HTTPRouteFilter = { type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['x-old'] } };
  const breaks: Array<[string, string]> = [
    ['CR', 'a\rSet-Cookie: session=evil'],
    ['LF', 'a\nSet-Cookie: session=evil'],
    ['CRLF', 'a\r\nSet-Cookie: session=evil'],
    ['NUL', 'a\u0000b'],
  ];
  for (const [what, value] of breaks) {
    for (const kind of ['requestHeaderModifier', 'responseHeaderModifier'] as const) {
      for (const op of ['set', 'add'] as const) {
        it(`${what} in a rule's ${kind}.${op} value: Accepted=False/UnsupportedValue naming the field; a sibling route is served`, () => {
          const bad = route('bad', { rules: [rule({ filters: [harmless, filter(kind, op, value)] })] });
          const good = route('good', { rules: [rule({ filters: [filter(kind, op, 'fine value')] })] });
          const out = translate(openInput({ httpRoutes: [bad, good] }));
          assert.deepEqual(parents(out, 'bad'), ['Accepted=False/UnsupportedValue ResolvedRefs=True/ResolvedRefs']);
          const message = cond(out.httpRoutes.get('apps/bad')!.parents[0]!.conditions, 'Accepted')!.message;
          assert.ok(message.includes(`spec.rules[0].filters[1].${kind}.${op}[1].value`), message);
          assert.ok(!/[\r\n\0]/.test(message), 'the message itself carries no line break');
          assert.equal(entries(out, 'bad').length, 0, 'nothing of the bad route is served');
          assert.deepEqual(parents(out, 'good'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs']);
          assert.equal(entries(out, 'good').length, 1);
        });
        it(`${what} in a backendRef's ${kind}.${op} value: Accepted=False/UnsupportedValue naming the field`, () => {
          const bad = route('bad', { rules: [rule({ backendRefs: [{ name: 'echo', port: 8080, filters: [harmless, filter(kind, op, value)] }] })] });
          const out = translate(openInput({ httpRoutes: [bad, route('good')] }));
          assert.deepEqual(parents(out, 'bad'), ['Accepted=False/UnsupportedValue ResolvedRefs=True/ResolvedRefs']);
          const message = cond(out.httpRoutes.get('apps/bad')!.parents[0]!.conditions, 'Accepted')!.message;
          assert.ok(message.includes(`spec.rules[0].backendRefs[0].filters[1].${kind}.${op}[1].value`), message);
          assert.equal(entries(out, 'bad').length, 0);
          assert.equal(entries(out, 'good').length, 1);
        });
      }
    }
  }

  it('a backendRef filter is checked even when its Service does not resolve', () => {
    const bad = route('bad', { rules: [rule({ backendRefs: [{ name: 'missing', port: 8080, filters: [filter('requestHeaderModifier', 'set', 'a\nb')] }] })] });
    const out = translate(openInput({ httpRoutes: [bad] }));
    const message = cond(out.httpRoutes.get('apps/bad')!.parents[0]!.conditions, 'Accepted')!.message;
    assert.match(message, /spec\.rules\[0\]\.backendRefs\[0\]\.filters\[0\]\.requestHeaderModifier\.set\[1\]\.value/);
  });

  it('header names that are not HTTP tokens are refused too (set, add and remove)', () => {
    const badName = route('bad', {
      rules: [
        rule({ filters: [filter('requestHeaderModifier', 'add', 'v', 'X-A: b')] }),
        rule({ filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['x-ok', 'x bad'] } }] }),
      ],
    });
    const out = translate(openInput({ httpRoutes: [badName] }));
    const message = cond(out.httpRoutes.get('apps/bad')!.parents[0]!.conditions, 'Accepted')!.message;
    assert.ok(message.includes('spec.rules[0].filters[0].requestHeaderModifier.add[1].name'), message);
    assert.ok(message.includes('spec.rules[1].filters[0].responseHeaderModifier.remove[1]'), message);
  });

  it('beside a valid rule, only the rule with the bad value is dropped (PartiallyInvalid names the field); the other is served', () => {
    const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule(), rule({ filters: [filter('responseHeaderModifier', 'set', 'x\r\nSet-Cookie: a=b')] })] })] }));
    assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs PartiallyInvalid=True/UnsupportedValue']);
    const pi = cond(out.httpRoutes.get('apps/r')!.parents[0]!.conditions, 'PartiallyInvalid')!;
    assert.ok(pi.message.includes('spec.rules[1].filters[0].responseHeaderModifier.set[1].value'), pi.message);
    assert.deepEqual(entries(out, 'r').map((e) => e.source.ruleIndex), [0]);
  });

  it('tabs and other visible text in values are kept as they are', () => {
    const out = translate(openInput({ httpRoutes: [route('r', { rules: [rule({ filters: [filter('requestHeaderModifier', 'set', 'a\tb; c="d"')] })] })] }));
    assert.deepEqual(parents(out, 'r'), ['Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs']);
    assert.deepEqual(entries(out, 'r')[0]!.filters.requestHeaders?.set, [{ name: 'x-fine', value: 'ok' }, { name: 'x-injected', value: 'a\tb; c="d"' }]);
  });
});

describe('status writing: observedGeneration, controllerName, merging with other controllers', () => {
  const other = { parentRef: { name: 'their-gw' }, controllerName: 'example.net/gateway-controller', conditions: [{ type: 'Accepted', status: 'True' as const, reason: 'Accepted', message: 'theirs', observedGeneration: 1 }] };

  it('every condition carries the route\'s generation; our entries name our controller; theirs are untouched', () => {
    const r = route('r');
    r.status = { parents: [other] };
    const out = translate(openInput({ httpRoutes: [r] }));
    const ps = out.httpRoutes.get('apps/r')!.parents;
    assert.deepEqual(ps[0], other, 'the other controller\'s entry, as it was');
    assert.equal(ps[1]!.controllerName, CONTROLLER);
    assert.deepEqual(ps[1]!.parentRef, parent('gw'));
    for (const c of ps[1]!.conditions) assert.equal(c.observedGeneration, 3);
  });

  it('our entry for a parentRef that is gone is removed, theirs stays', () => {
    const r = route('r', { parentRefs: [] });
    r.status = { parents: [other, { parentRef: parent('gw'), controllerName: CONTROLLER, conditions: [] }] };
    const out = translate(openInput({ httpRoutes: [r] }));
    assert.deepEqual(out.httpRoutes.get('apps/r')!.parents, [other]);
  });

  it('a route that never referenced us gets no status', () => {
    const out = translate(openInput({ httpRoutes: [route('r', { parentRefs: [] })] }));
    assert.equal(out.httpRoutes.has('apps/r'), false);
  });

  it('lastTransitionTime: `now` for a changed condition, the previous time for an unchanged one; none without `now`', () => {
    const r = route('r');
    r.status = {
      parents: [
        {
          parentRef: parent('gw'),
          controllerName: CONTROLLER,
          conditions: [
            { type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' },
            { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' },
          ],
        },
      ],
    };
    const out = translate(openInput({ httpRoutes: [r], now: '2026-02-02T00:00:00Z' }));
    const cs = out.httpRoutes.get('apps/r')!.parents[0]!.conditions;
    assert.equal(cond(cs, 'Accepted')!.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(cond(cs, 'ResolvedRefs')!.lastTransitionTime, '2026-02-02T00:00:00Z');
    const noClock = translate(openInput({ httpRoutes: [route('r')] }));
    assert.equal(cond(noClock.httpRoutes.get('apps/r')!.parents[0]!.conditions, 'Accepted')!.lastTransitionTime, undefined);
  });

  it('the same input gives the same output (no clocks, no randomness)', () => {
    const make = () => openInput({ httpRoutes: [route('b'), route('a', { hostnames: ['a.example.com'] })], webSocketPolicies: [policy('p', [routeTarget('a')])] });
    assert.deepEqual(translate(make()), translate(make()));
  });
});

describe('route keys carry their kind', () => {
  it('entry keys are unique, start with HTTPRoute/, and never equal a WebSocketRoute key', () => {
    const all = { allowedRoutes: { namespaces: { from: 'All' as const } } };
    const out = translate(
      input({
        gateways: [gateway('gw', [listener('a', all), listener('b', { ...all, port: 8080 })])],
        httpRoutes: [route('chat', { rules: [rule({ matches: [{ path: { value: '/a' } }, { path: { value: '/b' } }] }), rule()] }), route('chat', {}, 'other')],
        services: [service('echo'), service('echo', 'other')],
      }),
    );
    const keys = out.routes.map((e) => e.key);
    assert.equal(keys.length, 2 * 3 + 2, 'rule x match x listener, for both routes');
    assert.equal(new Set(keys).size, keys.length, 'unique');
    const wsKeys = new Set([wsRouteKey({ metadata: { name: 'chat', namespace: 'apps' } }), wsRouteKey({ metadata: { name: 'chat', namespace: 'other' } })]);
    for (const e of out.routes) {
      assert.match(e.key, /^HTTPRoute\/[a-z0-9-]+\/[a-z0-9.-]+\/rule-\d+\/match-\d+@[a-z0-9-]+\/[a-z0-9.-]+\/[a-z0-9.-]+$/);
      assert.ok(!wsKeys.has(e.key) && !wsKeys.has(e.routeKey) && !wsKeys.has(e.ruleKey), `${e.key} differs from every WebSocketRoute key`);
    }
    assert.ok(keys.includes('HTTPRoute/apps/chat/rule-0/match-1@infra/gw/b'));
  });
});

describe('precedence as the spec orders matches', () => {
  it('Exact, longest prefix, method, most headers, most query params, oldest route, namespace/name, rule order', () => {
    const m = (path: { type?: 'Exact' | 'PathPrefix'; value: string }, extra: Record<string, unknown> = {}) => ({ path, ...extra });
    const out = translate(
      openInput({
        httpRoutes: [
          route('young', { rules: [rule({ matches: [m({ value: '/x' })] })] }, 'apps', '2026-03-01T00:00:00Z'),
          route('old', { rules: [rule({ matches: [m({ value: '/x' })] }), rule({ matches: [m({ value: '/x' })] })] }, 'apps', '2026-01-01T00:00:00Z'),
          route('many', {
            rules: [
              rule({
                matches: [
                  m({ value: '/' }),
                  m({ value: '/abc' }),
                  m({ type: 'Exact', value: '/a' }),
                  m({ value: '/abc' }, { method: 'GET' }),
                  m({ value: '/abc' }, { headers: [{ name: 'a', value: '1' }] }),
                  m({ value: '/abc' }, { headers: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] }),
                  m({ value: '/abc' }, { queryParams: [{ name: 'q', value: '1' }] }),
                ],
              }),
            ],
          }, 'apps', '2026-02-01T00:00:00Z'),
        ],
      }),
    );
    const order = out.routes.map((e) => `${e.source.name}:${e.source.ruleIndex}.${e.source.matchIndex}`);
    assert.deepEqual(order, ['many:0.2', 'many:0.3', 'many:0.5', 'many:0.4', 'many:0.6', 'many:0.1', 'old:0.0', 'old:1.0', 'young:0.0', 'many:0.0']);
  });
});

describe('WebSocketPolicy attachment', () => {
  const withPolicies = (policies: ReturnType<typeof policy>[], over: Partial<TranslateInput> = {}) =>
    translate(
      openInput({
        httpRoutes: [route('r', { rules: [rule({ name: 'live' }), rule({ matches: [{ path: { value: '/poll' } }] })] })],
        services: [service('echo', 'apps', [{ name: 'ws', port: 8080 }])],
        webSocketPolicies: policies,
        ...over,
      }),
    );
  const behaviour = (out: TranslateOutput, ruleIndex: number) => entries(out, 'r').find((e) => e.source.ruleIndex === ruleIndex)!.websocket;
  const ancestors = (out: TranslateOutput, name: string) =>
    out.policies.get(`apps/${name}`)!.ancestors.filter((a) => a.controllerName === CONTROLLER).map((a) => `${a.ancestorRef.kind} ${a.ancestorRef.namespace}/${a.ancestorRef.name}: ${a.conditions.map(brief).join(' ')}`);

  it('without a policy: WebSocket defaults (no 60 s idle cut: idle 1h, connect 5s, upgrade 10s, drain 30s, LeastConnections)', () => {
    const w = behaviour(withPolicies([]), 0);
    assert.deepEqual(w.source, { kind: 'Default' });
    assert.deepEqual(w.timeoutsMs, { connect: 5_000, idle: 3_600_000, upgrade: 10_000, maxLifetime: 0 });
    assert.equal(w.drainTimeoutMs, 30_000);
    assert.equal(w.policy, 'LeastConnections');
    assert.equal(w.secretNamespace, 'apps');
  });

  it('a policy on the route applies to its rules, defaulted like a WebSocketRoute; ancestor: the Gateway', () => {
    const out = withPolicies([
      policy('p', [routeTarget('r')], {
        timeouts: { idle: '10m', maxLifetime: '24h' },
        rebalance: { tolerance: 0.2, maxClosesPerSecond: 5 },
        limits: { maxConnections: 100 },
        loadBalancer: { policy: 'ConsistentHash', hashOn: { header: 'x-user' } },
        security: { allowedOrigins: ['https://app.example.com'] },
      }),
    ]);
    const w = behaviour(out, 1);
    assert.deepEqual(w.source, { kind: 'WebSocketPolicy', namespace: 'apps', name: 'p', target: 'HTTPRoute' });
    assert.deepEqual(w.timeoutsMs, { connect: 5_000, idle: 600_000, upgrade: 10_000, maxLifetime: 86_400_000 });
    assert.equal(w.policy, 'ConsistentHash');
    assert.deepEqual(w.hashOn, { header: 'x-user' });
    assert.deepEqual(w.spec.rebalance, { tolerance: 0.2, maxClosesPerSecond: 5 });
    assert.deepEqual(w.spec.limits, { maxConnections: 100 });
    assert.equal(w.spec.security?.allowMissingOrigin, true, 'the same defaults as a WebSocketRoute');
    assert.deepEqual(ancestors(out, 'p'), ['Gateway infra/gw: Accepted=True/Accepted']);
    assert.equal(out.policies.get('apps/p')!.ancestors[0]!.conditions[0]!.observedGeneration, 4);
  });

  it('precedence: a rule (sectionName) policy over a route policy over a Service port policy over a Service policy', () => {
    const out = withPolicies([
      policy('on-service', [serviceTarget('echo')], { timeouts: { idle: '1m' } }),
      policy('on-port', [serviceTarget('echo', 'ws')], { timeouts: { idle: '2m' } }),
      policy('on-route', [routeTarget('r')], { timeouts: { idle: '3m' } }),
      policy('on-rule', [routeTarget('r', 'live')], { timeouts: { idle: '4m' } }),
    ]);
    assert.deepEqual(behaviour(out, 0).source, { kind: 'WebSocketPolicy', namespace: 'apps', name: 'on-rule', target: 'HTTPRouteRule' });
    assert.deepEqual([behaviour(out, 0).timeoutsMs.idle, behaviour(out, 1).timeoutsMs.idle], [240_000, 180_000]);
    const noRoute = withPolicies([policy('on-service', [serviceTarget('echo')], { timeouts: { idle: '1m' } }), policy('on-port', [serviceTarget('echo', 'ws')], { timeouts: { idle: '2m' } })]);
    assert.equal(behaviour(noRoute, 0).timeoutsMs.idle, 120_000);
    const serviceOnly = withPolicies([policy('on-service', [serviceTarget('echo')], { timeouts: { idle: '1m' } })]);
    assert.deepEqual(behaviour(serviceOnly, 0).source, { kind: 'WebSocketPolicy', namespace: 'apps', name: 'on-service', target: 'Service' });
    assert.deepEqual(ancestors(serviceOnly, 'on-service'), ['Gateway infra/gw: Accepted=True/Accepted']);
  });

  it('two policies on one target: the older wins, the other is Conflicted', () => {
    const out = withPolicies([
      policy('newer', [routeTarget('r')], { timeouts: { idle: '2m' } }, 'apps', '2026-02-01T00:00:00Z'),
      policy('older', [routeTarget('r')], { timeouts: { idle: '1m' } }, 'apps', '2026-01-01T00:00:00Z'),
    ]);
    assert.equal(behaviour(out, 0).timeoutsMs.idle, 60_000);
    assert.deepEqual(ancestors(out, 'older'), ['Gateway infra/gw: Accepted=True/Accepted']);
    assert.deepEqual(ancestors(out, 'newer'), ['Gateway infra/gw: Accepted=False/Conflicted']);
  });

  it('same age: the first by namespace/name wins', () => {
    const out = withPolicies([policy('b', [routeTarget('r')], { timeouts: { idle: '2m' } }), policy('a', [routeTarget('r')], { timeouts: { idle: '1m' } })]);
    assert.equal(behaviour(out, 0).timeoutsMs.idle, 60_000);
    assert.deepEqual(ancestors(out, 'b'), ['Gateway infra/gw: Accepted=False/Conflicted']);
  });

  it('a route policy and a Service policy do not conflict: both Accepted', () => {
    const out = withPolicies([policy('svc', [serviceTarget('echo')]), policy('rt', [routeTarget('r')])]);
    assert.deepEqual(ancestors(out, 'svc'), ['Gateway infra/gw: Accepted=True/Accepted']);
    assert.deepEqual(ancestors(out, 'rt'), ['Gateway infra/gw: Accepted=True/Accepted']);
  });

  const notFound: Array<[string, ReturnType<typeof routeTarget>, string]> = [
    ['a route that does not exist', routeTarget('missing'), 'HTTPRoute apps/missing'],
    ['a rule name the route does not have', routeTarget('r', 'nope'), 'HTTPRoute apps/r'],
    ['a Service that does not exist', serviceTarget('missing'), 'Service apps/missing'],
    ['a port name the Service does not have', serviceTarget('echo', 'nope'), 'Service apps/echo'],
  ];
  for (const [name, target, ancestor] of notFound) {
    it(`TargetNotFound: ${name} (the ancestor is the target itself)`, () => {
      const out = withPolicies([policy('p', [target])]);
      assert.deepEqual(ancestors(out, 'p'), [`${ancestor}: Accepted=False/TargetNotFound`]);
    });
  }

  it('a target in another namespace is not found: a policy only targets its own namespace', () => {
    const out = withPolicies([policy('p', [routeTarget('r')], {}, 'other')]);
    assert.deepEqual(
      out.policies.get('other/p')!.ancestors.map((a) => `${a.ancestorRef.namespace}/${a.ancestorRef.name} ${brief(a.conditions[0])}`),
      ['other/r Accepted=False/TargetNotFound'],
    );
  });

  it('a policy the WebSocketRoute rules refuse is Invalid and applies nowhere', () => {
    const out = withPolicies([policy('p', [routeTarget('r')], { loadBalancer: { policy: 'RoundRobin', hashOn: { header: 'x' } } })]);
    assert.deepEqual(ancestors(out, 'p'), ['HTTPRoute apps/r: Accepted=False/Invalid']);
    assert.match(out.policies.get('apps/p')!.ancestors[0]!.conditions[0]!.message, /hashOn/);
    assert.deepEqual(behaviour(out, 0).source, { kind: 'Default' });
  });

  it('an unsupported target kind is Invalid', () => {
    const out = withPolicies([policy('p', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }])]);
    assert.equal(brief(out.policies.get('apps/p')!.ancestors[0]!.conditions[0]), 'Accepted=False/Invalid');
  });

  it('a route our Gateway does not accept: the ancestor is the route', () => {
    const out = withPolicies([policy('p', [routeTarget('r')])], { httpRoutes: [route('r', { parentRefs: [parent('gw', { sectionName: 'nope' })] })] });
    assert.deepEqual(ancestors(out, 'p'), ['HTTPRoute apps/r: Accepted=True/Accepted']);
  });

  it('a route of no Gateway of ours (another controller\'s): no ancestor entry of ours, theirs kept', () => {
    const p = policy('p', [routeTarget('r')]);
    const theirs = { ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'apps', name: 'their-gw' }, controllerName: 'example.net/c', conditions: [] };
    p.status = { ancestors: [theirs] };
    const out = withPolicies([p], { httpRoutes: [route('r', { parentRefs: [{ name: 'their-gw' }] })] });
    assert.deepEqual(out.policies.get('apps/p')!.ancestors, [theirs]);
  });

  it('backends with different Service policies: the first backendRef\'s wins, the others are listed as overridden', () => {
    const out = translate(
      openInput({
        httpRoutes: [route('r', { rules: [rule({ backendRefs: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] })] })],
        services: [service('a', 'apps', [{ port: 80 }]), service('b', 'apps', [{ port: 80 }])],
        webSocketPolicies: [policy('pb', [serviceTarget('b')], { timeouts: { idle: '2m' } }), policy('pa', [serviceTarget('a')], { timeouts: { idle: '1m' } })],
      }),
    );
    const w = entries(out, 'r')[0]!.websocket;
    assert.equal(w.timeoutsMs.idle, 60_000);
    assert.deepEqual(w.overridden, ['apps/pb']);
  });

  it('ancestors of other controllers are kept', () => {
    const p = policy('p', [routeTarget('r')]);
    const theirs = { ancestorRef: { name: 'x' }, controllerName: 'example.net/c', conditions: [] };
    p.status = { ancestors: [theirs] };
    const out = withPolicies([p]);
    assert.deepEqual(out.policies.get('apps/p')!.ancestors[0], theirs);
    assert.equal(out.policies.get('apps/p')!.ancestors.length, 2);
  });
});

describe('namespaces as input', () => {
  it('a namespace the cache does not know has no labels: a Selector does not match it', () => {
    const out = translate(
      input({
        gateways: [gateway('gw', [listener('http', { allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'a' } } } } })])],
        httpRoutes: [route('r')],
        namespaces: [ns('infra')],
      }),
    );
    assert.deepEqual(parents(out, 'r'), ['Accepted=False/NotAllowedByListeners ResolvedRefs=True/ResolvedRefs']);
  });
});
