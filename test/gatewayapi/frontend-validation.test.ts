// Gateway spec.tls.frontend (client certificate validation): which CA bundle and mode each HTTPS
// listener's port gets, and the listener and Gateway conditions the spec and the conformance
// suite (GatewayFrontendClientCertificateValidation*, GatewayInvalidFrontendClientCertificateValidation) ask for.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Condition } from '../../src/api/types.js';
import { translate } from '../../src/gatewayapi/translate.js';
import type { TranslateOutput } from '../../src/gatewayapi/model.js';
import type { ConfigMap, FrontendTLSConfig, Listener, ReferenceGrant } from '../../src/gatewayapi/types.js';
import { makeCa } from '../helpers/certs.js';
import { gateway, grant, input, listener, tlsSecret } from './fixtures.js';

const brief = (c: Condition | undefined) => (c ? `${c.type}=${c.status}/${c.reason}` : 'absent');

let caA = '';
let caB = '';
let server = { cert: '', key: '' };
before(() => {
  const a = makeCa('client CA A');
  caA = a.cert;
  caB = makeCa('client CA B').cert;
  server = a.issue('example.org', ['example.org', '*.org']);
});

const configMap = (name: string, data: Record<string, string>, namespace = 'infra'): ConfigMap => ({ metadata: { name, namespace }, data });
const https = (name: string, port: number, extra: Partial<Listener> = {}): Listener =>
  listener(name, { port, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ name: 'cert' }] }, ...extra });
const cmRef = (name: string, extra = {}) => ({ group: '', kind: 'ConfigMap', name, ...extra });

function run(frontend: FrontendTLSConfig, listeners: Listener[], extra: { configMaps?: ConfigMap[]; referenceGrants?: ReferenceGrant[] } = {}): TranslateOutput {
  return translate(
    input({
      gateways: [gateway('gw', listeners, { tls: { frontend } })],
      secrets: [tlsSecret('cert', 'infra', server.cert, server.key)],
      configMaps: extra.configMaps ?? [configMap('ca-a', { 'ca.crt': caA }), configMap('ca-b', { 'ca.crt': caB }), configMap('ca-other', { 'ca.crt': caB }, 'certs')],
      referenceGrants: extra.referenceGrants ?? [],
    }),
  );
}
function listenerConditions(out: TranslateOutput, name: string): string[] {
  const l = out.gateways.get('infra/gw')!.status.listeners.find((x) => x.name === name);
  assert.ok(l, `listener ${name}`);
  return ['Accepted', 'ResolvedRefs', 'Programmed'].map((t) => brief(l.conditions.find((c) => c.type === t)));
}
const programmed = (out: TranslateOutput, name: string) => out.listeners.find((l) => l.listenerName === name);

describe('Gateway spec.tls.frontend: CA bundle and mode per port', () => {
  it('the default applies to every HTTPS port; a perPort entry replaces it on its port; HTTP listeners get none', () => {
    const out = run({ default: { validation: { caCertificateRefs: [cmRef('ca-a')] } }, perPort: [{ port: 8443, tls: { validation: { mode: 'AllowInsecureFallback', caCertificateRefs: [cmRef('ca-b')] } } }] }, [
      https('https', 443),
      https('second', 8443, { hostname: 'second-example.org' }),
      listener('http', { port: 80 }),
    ]);
    assert.equal(programmed(out, 'https')!.clientValidation?.mode, 'AllowValidOnly');
    assert.equal(programmed(out, 'https')!.clientValidation?.caPem.trim(), caA.trim());
    assert.deepEqual({ ...programmed(out, 'second')!.clientValidation, caPem: programmed(out, 'second')!.clientValidation!.caPem.trim() }, { mode: 'AllowInsecureFallback', caPem: caB.trim() });
    assert.equal(programmed(out, 'http')!.clientValidation, undefined);
    for (const l of ['https', 'second', 'http']) assert.deepEqual(listenerConditions(out, l), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'Programmed=True/Programmed']);
  });

  it('a perPort entry without validation turns it off on that port', () => {
    const out = run({ default: { validation: { caCertificateRefs: [cmRef('ca-a')] } }, perPort: [{ port: 8443, tls: {} }] }, [https('https', 443), https('second', 8443, { hostname: 'b.org' })]);
    assert.ok(programmed(out, 'https')!.clientValidation);
    assert.equal(programmed(out, 'second')!.clientValidation, undefined);
  });

  it('several refs: their bundles together', () => {
    const out = run({ default: { validation: { caCertificateRefs: [cmRef('ca-a'), cmRef('ca-b')] } } }, [https('https', 443)]);
    const pem = programmed(out, 'https')!.clientValidation!.caPem;
    assert.ok(pem.includes(caA.trim()) && pem.includes(caB.trim()));
  });
});

describe('Gateway spec.tls.frontend: invalid CA references', () => {
  const cases: Array<{ name: string; ref: ReturnType<typeof cmRef>; grants?: ReferenceGrant[]; want: string[] }> = [
    { name: 'a ConfigMap that does not exist', ref: cmRef('missing'), want: ['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/InvalidCACertificateRef', 'Programmed=False/Invalid'] },
    { name: 'a ConfigMap without ca.crt', ref: cmRef('no-ca'), want: ['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/InvalidCACertificateRef', 'Programmed=False/Invalid'] },
    { name: 'a ca.crt with no certificate', ref: cmRef('junk'), want: ['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/InvalidCACertificateRef', 'Programmed=False/Invalid'] },
    { name: 'a kind other than ConfigMap', ref: { group: '', kind: 'Service', name: 'ca-a' }, want: ['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/InvalidCACertificateKind', 'Programmed=False/Invalid'] },
    { name: 'another namespace without a ReferenceGrant', ref: cmRef('ca-other', { namespace: 'certs' }), want: ['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/RefNotPermitted', 'Programmed=False/Invalid'] },
    {
      name: 'another namespace with a ReferenceGrant for ConfigMaps',
      ref: cmRef('ca-other', { namespace: 'certs' }),
      grants: [grant('certs', [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra' }], [{ group: '', kind: 'ConfigMap' }])],
      want: ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'Programmed=True/Programmed'],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.want.join(' ')}; the listener on the valid default is not affected`, () => {
      const configMaps = [configMap('ca-a', { 'ca.crt': caA }), configMap('no-ca', { other: caA }), configMap('junk', { 'ca.crt': 'not a certificate' }), configMap('ca-other', { 'ca.crt': caB }, 'certs')];
      const out = run({ default: { validation: { caCertificateRefs: [cmRef('ca-a')] } }, perPort: [{ port: 7443, tls: { validation: { caCertificateRefs: [c.ref] } } }] }, [https('https', 443), https('bad', 7443, { hostname: 'first-example.org' })], {
        configMaps,
        referenceGrants: c.grants ?? [],
      });
      assert.deepEqual(listenerConditions(out, 'bad'), c.want);
      assert.equal(programmed(out, 'bad') !== undefined, c.want[0] === 'Accepted=True/Accepted');
      assert.deepEqual(listenerConditions(out, 'https'), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'Programmed=True/Programmed']);
    });
  }

  it('one bad ref beside a good one: ResolvedRefs=False, still Accepted and served with the good bundle', () => {
    const out = run({ default: { validation: { caCertificateRefs: [cmRef('missing'), cmRef('ca-a')] } } }, [https('https', 443)]);
    assert.deepEqual(listenerConditions(out, 'https'), ['Accepted=True/Accepted', 'ResolvedRefs=False/InvalidCACertificateRef', 'Programmed=True/Programmed']);
    assert.equal(programmed(out, 'https')!.clientValidation!.caPem.trim(), caA.trim());
  });

  it('an invalid default does not touch an HTTP listener, whatever perPort says of its port', () => {
    const out = run({ default: { validation: { caCertificateRefs: [cmRef('missing')] } }, perPort: [{ port: 80, tls: { validation: { caCertificateRefs: [cmRef('ca-b')] } } }] }, [https('https', 443), listener('http', { port: 80 })]);
    assert.deepEqual(listenerConditions(out, 'http'), ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'Programmed=True/Programmed']);
    assert.equal(programmed(out, 'http')!.clientValidation, undefined);
    assert.deepEqual(listenerConditions(out, 'https'), ['Accepted=False/NoValidCACertificate', 'ResolvedRefs=False/InvalidCACertificateRef', 'Programmed=False/Invalid']);
  });
});

describe('Gateway condition InsecureFrontendValidationMode', () => {
  const insecure = (out: TranslateOutput) => brief(out.gateways.get('infra/gw')!.status.conditions.find((c) => c.type === 'InsecureFrontendValidationMode'));
  it('True/ConfigurationChanged while the default or a perPort entry allows insecure fallback; absent otherwise', () => {
    const fallback = { mode: 'AllowInsecureFallback' as const, caCertificateRefs: [cmRef('ca-a')] };
    assert.equal(insecure(run({ default: { validation: fallback } }, [https('https', 443)])), 'InsecureFrontendValidationMode=True/ConfigurationChanged');
    assert.equal(insecure(run({ perPort: [{ port: 8443, tls: { validation: fallback } }] }, [https('https', 443)])), 'InsecureFrontendValidationMode=True/ConfigurationChanged');
    assert.equal(insecure(run({ default: { validation: { caCertificateRefs: [cmRef('ca-a')] } } }, [https('https', 443)])), 'absent');
    // The Gateway itself is accepted: spec.tls.frontend is supported now.
    assert.equal(brief(run({ default: { validation: fallback } }, [https('https', 443)]).gateways.get('infra/gw')!.status.conditions[0]), 'Accepted=True/Accepted');
  });
});
