// BackendTLSPolicy in the translator (GEP-1897), table-driven with plain objects: which backendRefs
// it covers (targetRefs, sectionName = port name), what their validation is (CA bundle from
// ConfigMaps or the system CAs, hostname, subjectAltNames), and the policy's status (ancestors =
// the Gateways, Accepted / ResolvedRefs with the reasons the spec and the conformance suite name).

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Condition } from '../../src/api/types.js';
import type { ServiceBackend, TranslateOutput } from '../../src/gatewayapi/model.js';
import { translate, type TranslateInput } from '../../src/gatewayapi/translate.js';
import type { BackendTLSPolicy, ConfigMap, Gateway } from '../../src/gatewayapi/types.js';
import { makeCa } from '../helpers/certs.js';
import { CONTROLLER, gateway, grant, input, listener, route, rule, service, serviceTarget, tlsSecret } from './fixtures.js';

let caPem = '';
before(() => {
  caPem = makeCa('btls translator CA').cert;
});

const brief = (c: Condition) => `${c.type}=${c.status}/${c.reason}`;

function tlsPolicy(name: string, targetRefs: BackendTLSPolicy['spec']['targetRefs'], validation: Partial<BackendTLSPolicy['spec']['validation']> = {}, created = '2026-01-01T00:00:00Z'): BackendTLSPolicy {
  return {
    metadata: { name, namespace: 'apps', generation: 2, creationTimestamp: created },
    spec: { targetRefs, validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }], hostname: 'abc.example.com', ...validation } },
  };
}

const configMap = (name: string, data: Record<string, string>): ConfigMap => ({ metadata: { name, namespace: 'apps' }, data });

function run(policies: BackendTLSPolicy[], over: Partial<TranslateInput> = {}): TranslateOutput {
  return translate(
    input({
      gateways: [gateway('gw', [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } })])],
      services: [service('echo', 'apps', [{ name: 'https', port: 443 }, { name: 'other', port: 8443 }])],
      httpRoutes: [
        route('r', {
          rules: [
            rule({ matches: [{ path: { type: 'Exact', value: '/a' } }], backendRefs: [{ name: 'echo', port: 443 }] }),
            rule({ matches: [{ path: { type: 'Exact', value: '/b' } }], backendRefs: [{ name: 'echo', port: 8443 }] }),
          ],
        }),
      ],
      configMaps: [configMap('ca', { 'ca.crt': caPem }), configMap('empty', {}), configMap('junk', { 'ca.crt': 'not a certificate' })],
      backendTLSPolicies: policies,
      ...over,
    }),
  );
}

/** The backend of the rule matching `path`, as "scheme policy hostname ca|system sans" or "refused: ...". */
function backendOf(out: TranslateOutput, path: string): string {
  const e = out.routes.find((x) => x.path.value === path);
  assert.ok(e, `an entry for ${path}`);
  const b = e.backends[0] as ServiceBackend;
  assert.ok(b.valid, 'the backendRef itself resolves');
  const t = b.tls;
  if (!t) return `${b.scheme} no-policy`;
  if (t.refused !== undefined) return `${b.scheme} refused by ${t.policy}`;
  return `${b.scheme} ${t.policy} ${t.hostname} ${t.caCertificates === undefined ? 'system' : t.caCertificates.includes(caPem.trim()) ? 'ca' : 'other-ca'} [${t.subjectAltNames.map((s) => `${s.type}:${s.value}`).join(',')}]`;
}

/** Our ancestors of a policy: "Gateway infra/gw: Accepted=... ResolvedRefs=...". */
function ancestors(out: TranslateOutput, name: string): string[] {
  return out.backendTLSPolicies
    .get(`apps/${name}`)!
    .ancestors.filter((a) => a.controllerName === CONTROLLER)
    .map((a) => `${a.ancestorRef.kind} ${a.ancestorRef.namespace}/${a.ancestorRef.name}: ${a.conditions.map(brief).join(' ')}`);
}

describe('BackendTLSPolicy: which backendRefs it covers and how they are verified', () => {
  const cases: Array<{ name: string; policies: () => BackendTLSPolicy[]; a: string; b: string }> = [
    { name: 'no policy: the appProtocol decides (none: ws)', policies: () => [], a: 'ws no-policy', b: 'ws no-policy' },
    {
      name: 'a policy on the Service covers every port: wss with the ConfigMap CA, hostname as SNI',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')])],
      a: 'wss apps/p abc.example.com ca []',
      b: 'wss apps/p abc.example.com ca []',
    },
    {
      name: 'sectionName names one port: the other stays plaintext',
      policies: () => [tlsPolicy('p', [serviceTarget('echo', 'https')])],
      a: 'wss apps/p abc.example.com ca []',
      b: 'ws no-policy',
    },
    {
      name: 'a port policy wins over the Service policy on its port',
      policies: () => [tlsPolicy('whole', [serviceTarget('echo')], { hostname: 'whole.example.com' }), tlsPolicy('port', [serviceTarget('echo', 'https')], { hostname: 'port.example.com' })],
      a: 'wss apps/port port.example.com ca []',
      b: 'wss apps/whole whole.example.com ca []',
    },
    {
      name: 'subjectAltNames (Hostname and URI) are carried as the names to accept',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { subjectAltNames: [{ type: 'URI', uri: 'spiffe://abc.example.com/id' }, { type: 'Hostname', hostname: 'san.example.com' }] })],
      a: 'wss apps/p abc.example.com ca [URI:spiffe://abc.example.com/id,Hostname:san.example.com]',
      b: 'wss apps/p abc.example.com ca [URI:spiffe://abc.example.com/id,Hostname:san.example.com]',
    },
    {
      name: 'wellKnownCACertificates: System: the system CAs',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: undefined, wellKnownCACertificates: 'System' })],
      a: 'wss apps/p abc.example.com system []',
      b: 'wss apps/p abc.example.com system []',
    },
    {
      name: 'a missing ConfigMap: refused (5xx), never plaintext',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'nope' }] })],
      a: 'wss refused by apps/p',
      b: 'wss refused by apps/p',
    },
    {
      name: 'two policies on one target: the older applies',
      policies: () => [tlsPolicy('young', [serviceTarget('echo')], { hostname: 'young.example.com' }, '2026-02-01T00:00:00Z'), tlsPolicy('old', [serviceTarget('echo')], { hostname: 'old.example.com' })],
      a: 'wss apps/old old.example.com ca []',
      b: 'wss apps/old old.example.com ca []',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = run(c.policies());
      assert.equal(backendOf(out, '/a'), c.a);
      assert.equal(backendOf(out, '/b'), c.b);
    });
  }

  it('a policy on the Service of a RequestMirror covers the mirror too', () => {
    const out = run([tlsPolicy('p', [serviceTarget('echo', 'https')])], {
      httpRoutes: [route('r', { rules: [rule({ matches: [{ path: { type: 'Exact', value: '/a' } }], backendRefs: [{ name: 'echo', port: 8443 }], filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'echo', port: 443 } } }] })] })],
    });
    const m = out.routes.find((e) => e.path.value === '/a')!.filters.mirrors![0]!.backend;
    assert.equal(m.scheme, 'wss');
    assert.equal(m.tls?.refused, undefined);
  });
});

describe('BackendTLSPolicy status: ancestors, Accepted and ResolvedRefs', () => {
  const cases: Array<{ name: string; policies: () => BackendTLSPolicy[]; policy: string; want: string[] }> = [
    {
      name: 'attached: the Gateway the Service is reached through, Accepted and ResolvedRefs',
      policies: () => [tlsPolicy('p', [serviceTarget('echo', 'https')])],
      policy: 'p',
      want: ['Gateway infra/gw: Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs'],
    },
    {
      name: 'a CA reference of another kind: NoValidCACertificate, InvalidKind',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: [{ group: 'invalid.io', kind: 'InvalidKind', name: 'x' }] })],
      policy: 'p',
      want: ['Gateway infra/gw: Accepted=False/NoValidCACertificate ResolvedRefs=False/InvalidKind'],
    },
    {
      name: 'a missing ConfigMap: NoValidCACertificate, InvalidCACertificateRef',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'nope' }] })],
      policy: 'p',
      want: ['Gateway infra/gw: Accepted=False/NoValidCACertificate ResolvedRefs=False/InvalidCACertificateRef'],
    },
    {
      name: 'a ConfigMap without ca.crt: NoValidCACertificate, InvalidCACertificateRef',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'empty' }] })],
      policy: 'p',
      want: ['Gateway infra/gw: Accepted=False/NoValidCACertificate ResolvedRefs=False/InvalidCACertificateRef'],
    },
    {
      name: 'a ca.crt that is no certificate: NoValidCACertificate, InvalidCACertificateRef',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'junk' }] })],
      policy: 'p',
      want: ['Gateway infra/gw: Accepted=False/NoValidCACertificate ResolvedRefs=False/InvalidCACertificateRef'],
    },
    {
      name: 'one good and one bad CA reference: still Accepted, ResolvedRefs False',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }, { group: '', kind: 'ConfigMap', name: 'nope' }] })],
      policy: 'p',
      want: ['Gateway infra/gw: Accepted=True/Accepted ResolvedRefs=False/InvalidCACertificateRef'],
    },
    {
      name: 'an unknown wellKnownCACertificates: Accepted False/Invalid',
      policies: () => [tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: undefined, wellKnownCACertificates: 'example.com/mine' })],
      policy: 'p',
      want: ['Gateway infra/gw: Accepted=False/Invalid ResolvedRefs=True/ResolvedRefs'],
    },
    {
      name: 'the younger of two on one target: Conflicted',
      policies: () => [tlsPolicy('young', [serviceTarget('echo')], {}, '2026-02-01T00:00:00Z'), tlsPolicy('old', [serviceTarget('echo')])],
      policy: 'young',
      want: ['Gateway infra/gw: Accepted=False/Conflicted ResolvedRefs=True/ResolvedRefs'],
    },
    {
      name: 'one with and one without sectionName: no conflict',
      policies: () => [tlsPolicy('young', [serviceTarget('echo', 'https')], {}, '2026-02-01T00:00:00Z'), tlsPolicy('old', [serviceTarget('echo')])],
      policy: 'young',
      want: ['Gateway infra/gw: Accepted=True/Accepted ResolvedRefs=True/ResolvedRefs'],
    },
    {
      name: 'a Service no route of ours reaches: no ancestor of ours (another implementation reports it)',
      policies: () => [tlsPolicy('p', [serviceTarget('unused')])],
      policy: 'p',
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(ancestors(run(c.policies()), c.policy), c.want));
  }

  it('conditions carry the policy generation; other controllers\' ancestors are kept', () => {
    const p = tlsPolicy('p', [serviceTarget('echo')]);
    const theirs = { ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'x', name: 'y' }, controllerName: 'example.com/other', conditions: [] };
    p.status = { ancestors: [theirs] };
    const list = run([p]).backendTLSPolicies.get('apps/p')!.ancestors;
    assert.deepEqual(list[0], theirs);
    assert.ok(list[1]!.conditions.every((c) => c.observedGeneration === 2));
  });

  it('the HTTPRoute keeps ResolvedRefs=True: its backendRef resolves, the policy reports its own problem', () => {
    const out = run([tlsPolicy('p', [serviceTarget('echo')], { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'nope' }] })]);
    const parent = out.httpRoutes.get('apps/r')!.parents.find((x) => x.controllerName === CONTROLLER)!;
    assert.equal(brief(parent.conditions.find((c) => c.type === 'ResolvedRefs')!), 'ResolvedRefs=True/ResolvedRefs');
  });
});

describe('Gateway spec.tls.backend.clientCertificateRef (GatewayBackendClientCertificate)', () => {
  let client = { cert: '', key: '' };
  before(() => {
    client = makeCa('client CA').issue('wsgate-client', ['client.example.com'], 'clientAuth');
  });
  const withRef = (ref: NonNullable<NonNullable<Gateway['spec']['tls']>['backend']>['clientCertificateRef'], over: Partial<TranslateInput> = {}) =>
    run([tlsPolicy('p', [serviceTarget('echo')])], {
      gateways: [gateway('gw', [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } })], { tls: { backend: { clientCertificateRef: ref! } } })],
      secrets: [tlsSecret('client', 'infra', client.cert, client.key), tlsSecret('client', 'apps', client.cert, client.key), { metadata: { name: 'junk', namespace: 'infra' }, data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }],
      ...over,
    });
  const gatewayConditions = (out: TranslateOutput) => out.gateways.get('infra/gw')!.status.conditions.map(brief);

  const cases: Array<{ name: string; ref: Parameters<typeof withRef>[0]; grants?: TranslateInput['referenceGrants']; resolved: string; presented?: string }> = [
    { name: 'a tls Secret in the Gateway namespace: presented, ResolvedRefs True', ref: { name: 'client' }, resolved: 'ResolvedRefs=True/ResolvedRefs', presented: 'infra/client' },
    { name: 'a Secret that does not exist: InvalidClientCertificateRef', ref: { name: 'nope' }, resolved: 'ResolvedRefs=False/InvalidClientCertificateRef' },
    { name: 'a Secret that is no certificate: InvalidClientCertificateRef', ref: { name: 'junk' }, resolved: 'ResolvedRefs=False/InvalidClientCertificateRef' },
    { name: 'another kind: InvalidClientCertificateRef', ref: { group: '', kind: 'ConfigMap', name: 'client' }, resolved: 'ResolvedRefs=False/InvalidClientCertificateRef' },
    { name: 'another group: InvalidClientCertificateRef', ref: { group: 'example.com', kind: 'Secret', name: 'client' }, resolved: 'ResolvedRefs=False/InvalidClientCertificateRef' },
    { name: 'another namespace without a ReferenceGrant: RefNotPermitted', ref: { name: 'client', namespace: 'apps' }, resolved: 'ResolvedRefs=False/RefNotPermitted' },
    {
      name: 'another namespace with a ReferenceGrant: presented',
      ref: { name: 'client', namespace: 'apps' },
      grants: [grant('apps', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }], [{ group: '', kind: 'Secret' }])],
      resolved: 'ResolvedRefs=True/ResolvedRefs',
      presented: 'apps/client',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = withRef(c.ref, c.grants ? { referenceGrants: c.grants } : {});
      const conditions = gatewayConditions(out);
      assert.equal(conditions[0], 'Accepted=True/Accepted', 'the Gateway stays accepted');
      assert.ok(conditions.includes(c.resolved), conditions.join(' '));
      const e = out.routes.find((x) => x.path.value === '/a')!;
      assert.equal(e.backendClientCertificate ? `${e.backendClientCertificate.namespace}/${e.backendClientCertificate.name}` : undefined, c.presented);
    });
  }

  it('a Gateway without spec.tls.backend has no ResolvedRefs condition and presents nothing', () => {
    const out = run([]);
    assert.deepEqual(gatewayConditions(out).map((c) => c.split('=')[0]), ['Accepted', 'Programmed']);
    assert.equal(out.routes[0]!.backendClientCertificate, undefined);
  });
});
