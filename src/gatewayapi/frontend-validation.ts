// A Gateway's spec.tls.frontend (client certificate validation, GEP-91): which validation an
// HTTPS listener's port gets (a perPort entry replaces the default for its port) and its CA
// bundle, resolved from ConfigMaps (`ca.crt`). Pure. The spec's outcomes: a ref that does not
// resolve or holds no certificate: ResolvedRefs=False/InvalidCACertificateRef; a kind other
// than ConfigMap: InvalidCACertificateKind; another namespace without a ReferenceGrant:
// RefNotPermitted; no usable ref at all: the listener is not Accepted (NoValidCACertificate),
// so it serves nothing rather than serving without the validation it was asked for.

import { X509Certificate } from 'node:crypto';
import type { ClientValidation } from '../api/client-validation.js';
import { referenceAllowed } from './refs.js';
import { key, type Indexes } from './translate-state.js';
import { GATEWAY_GROUP, type FrontendTLSValidation, type Gateway } from './types.js';

export type FrontendValidationResult =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'resolved';
      /** Absent: no ref was usable (the listener is refused). */
      readonly validation?: ClientValidation;
      /** The first ref that did not resolve: ResolvedRefs=False with this reason. */
      readonly problem?: { readonly reason: string; readonly message: string };
    };

/** The validation the Gateway asks for on `port`: the perPort entry's, else the default's. */
export function validationForPort(gw: Gateway, port: number): FrontendTLSValidation | undefined {
  const frontend = gw.spec.tls?.frontend;
  const perPort = frontend?.perPort?.find((p) => p.port === port);
  return perPort ? perPort.tls?.validation : frontend?.default?.validation;
}

/** True when the default or a perPort entry allows insecure fallback (the Gateway's InsecureFrontendValidationMode condition). */
export function allowsInsecureFallback(gw: Gateway): boolean {
  const frontend = gw.spec.tls?.frontend;
  return [frontend?.default?.validation, ...(frontend?.perPort ?? []).map((p) => p.tls?.validation)].some((v) => v?.mode === 'AllowInsecureFallback');
}

/** The PEM certificates of a bundle, or why it holds none. */
function caCertificates(pem: string | undefined): { ok: true; pem: string } | { ok: false; message: string } {
  if (!pem) return { ok: false, message: 'has no ca.crt' };
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return { ok: false, message: 'ca.crt holds no PEM certificate' };
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      return { ok: false, message: 'ca.crt holds a certificate that does not parse' };
    }
  }
  return { ok: true, pem: `${blocks.join('\n')}\n` };
}

export function resolveFrontendValidation(gw: Gateway, namespace: string, port: number, { grants, configMaps }: Indexes): FrontendValidationResult {
  const spec = validationForPort(gw, port);
  if (!spec) return { kind: 'none' };
  const bundles: string[] = [];
  let problem: { reason: string; message: string } | undefined;
  for (const ref of spec.caCertificateRefs ?? []) {
    const group = ref.group ?? '';
    const refNs = ref.namespace ?? namespace;
    const at = `${refNs}/${ref.name}`;
    let p: { reason: string; message: string } | undefined;
    if (group !== '' || ref.kind !== 'ConfigMap') {
      p = { reason: 'InvalidCACertificateKind', message: `caCertificateRef ${group || 'core'}/${ref.kind} ${at}: only core ConfigMaps are supported` };
    } else if (!referenceAllowed(grants, { group: GATEWAY_GROUP, kind: 'Gateway', namespace }, { group: '', kind: 'ConfigMap', namespace: refNs, name: ref.name })) {
      p = { reason: 'RefNotPermitted', message: `caCertificateRef ConfigMap ${at} is in another namespace and no ReferenceGrant there allows it` };
    } else {
      const cm = configMaps.get(key(refNs, ref.name));
      const ca = cm ? caCertificates(cm.data?.['ca.crt']) : { ok: false as const, message: 'does not exist' };
      if (ca.ok) bundles.push(ca.pem);
      else p = { reason: 'InvalidCACertificateRef', message: `caCertificateRef ConfigMap ${at} ${ca.message}` };
    }
    problem ??= p;
  }
  const mode = spec.mode ?? 'AllowValidOnly';
  return { kind: 'resolved', ...(bundles.length ? { validation: { mode, caPem: bundles.join('') } } : {}), ...(problem ? { problem } : {}) };
}
