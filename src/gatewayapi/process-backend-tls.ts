// ProcessBackendTLSPolicies (GEP-1897): each BackendTLSPolicy's CA references resolved (ConfigMaps
// with a ca.crt PEM bundle, or wellKnownCACertificates: System), its Service targets found and
// the GEP-713 winner per Service port. Runs before the routes: a backendRef to a Service port a
// policy covers is reached over TLS with that policy's validation (route-rules.ts). Its status
// (ancestors: the Gateways the Service is reached through) is written with the WebSocketPolicies'
// by processPolicyStatuses, when the routes are known.

import { caBundleValid } from '../api/pem.js';
import type { BackendTlsValidation } from './model.js';
import { comparePolicies, targetKey } from './policies.js';
import { condition } from './status-conditions.js';
import { key, nsOf, type PolicyLevelStatus, type PolicyTargetResult } from './translate-state.js';
import type { BackendTLSPolicy, ConfigMap, Service } from './types.js';

/** The ConfigMap key of a CA bundle (the spec's only one). */
const CA_KEY = 'ca.crt';
/** The one wellKnownCACertificates value the spec defines: the system's CA store. */
const SYSTEM_CAS = 'System';

export interface BackendTlsResult {
  /** By policy "ns/name": what each targetRef came to. */
  readonly targets: Map<string, PolicyTargetResult[]>;
  /** By policy "ns/name": Accepted (when the policy as a whole is refused) and ResolvedRefs. */
  readonly levels: Map<string, PolicyLevelStatus>;
  /** By targetKey('Service', ns, name, port name?): the winning policy's validation. */
  readonly winners: Map<string, BackendTlsValidation>;
}

interface Resolved {
  /** Absent: the system CAs. */
  pem?: string;
  /** ResolvedRefs=False: the first bad reference's reason, every bad reference's message. */
  badRefs?: { reason: 'InvalidCACertificateRef' | 'InvalidKind'; message: string };
  /** Accepted=False for the policy as a whole. */
  refused?: { reason: 'NoValidCACertificate' | 'Invalid'; message: string };
}

function resolveCAs(p: BackendTLSPolicy, configMaps: ReadonlyMap<string, ConfigMap>): Resolved {
  const ns = nsOf(p.metadata);
  const v = p.spec.validation;
  const refs = v.caCertificateRefs ?? [];
  if (refs.length === 0) {
    if (v.wellKnownCACertificates === SYSTEM_CAS) return {};
    const what = v.wellKnownCACertificates === undefined ? 'neither caCertificateRefs nor wellKnownCACertificates is set' : `wellKnownCACertificates ${v.wellKnownCACertificates} is not supported (System is)`;
    return { refused: { reason: 'Invalid', message: what } };
  }
  if (v.wellKnownCACertificates !== undefined) return { refused: { reason: 'Invalid', message: 'caCertificateRefs and wellKnownCACertificates cannot both be set' } };
  const pems: string[] = [];
  const bad: Array<{ reason: 'InvalidCACertificateRef' | 'InvalidKind'; message: string }> = [];
  for (const ref of refs) {
    if ((ref.group ?? '') !== '' || ref.kind !== 'ConfigMap') {
      bad.push({ reason: 'InvalidKind', message: `caCertificateRef ${ref.group || 'core'}/${ref.kind} ${ref.name}: only core ConfigMaps are supported` });
      continue;
    }
    const cm = configMaps.get(key(ns, ref.name));
    const pem = cm?.data?.[CA_KEY];
    if (!cm) bad.push({ reason: 'InvalidCACertificateRef', message: `ConfigMap ${ns}/${ref.name} not found` });
    else if (pem === undefined || pem === '') bad.push({ reason: 'InvalidCACertificateRef', message: `ConfigMap ${ns}/${ref.name} has no ${CA_KEY}` });
    else if (!caBundleValid(pem)) bad.push({ reason: 'InvalidCACertificateRef', message: `ConfigMap ${ns}/${ref.name} key ${CA_KEY} is not a PEM certificate bundle` });
    else pems.push(pem.trim());
  }
  const badRefs = bad.length ? { reason: bad[0]!.reason, message: bad.map((b) => b.message).join('; ') } : undefined;
  if (pems.length === 0) return { badRefs: badRefs!, refused: { reason: 'NoValidCACertificate', message: `no valid CA certificate: ${badRefs!.message}` } };
  return { pem: `${pems.join('\n')}\n`, ...(badRefs ? { badRefs } : {}) };
}

function validationOf(p: BackendTLSPolicy, r: Resolved): BackendTlsValidation {
  const policy = key(nsOf(p.metadata), p.metadata.name);
  if (r.refused) return { policy, refused: `BackendTLSPolicy ${policy}: ${r.refused.message}` };
  const v = p.spec.validation;
  const subjectAltNames = (v.subjectAltNames ?? []).flatMap((s): Array<{ type: 'Hostname' | 'URI'; value: string }> => {
    if (s.type === 'Hostname' && s.hostname) return [{ type: 'Hostname', value: s.hostname.toLowerCase() }];
    if (s.type === 'URI' && s.uri) return [{ type: 'URI', value: s.uri }];
    return [];
  });
  return { policy, hostname: v.hostname.toLowerCase(), ...(r.pem !== undefined ? { caCertificates: r.pem } : {}), subjectAltNames };
}

export function processBackendTLSPolicies(
  policies: readonly BackendTLSPolicy[],
  services: ReadonlyMap<string, Service>,
  configMaps: ReadonlyMap<string, ConfigMap>,
): BackendTlsResult {
  const targets = new Map<string, PolicyTargetResult[]>();
  const levels = new Map<string, PolicyLevelStatus>();
  const winners = new Map<string, BackendTlsValidation>();
  const winnerNames = new Map<string, string>();
  for (const p of [...policies].sort(comparePolicies)) {
    const ns = nsOf(p.metadata);
    const pk = key(ns, p.metadata.name);
    const resolved = resolveCAs(p, configMaps);
    levels.set(pk, {
      ...(resolved.refused ? { refused: resolved.refused } : {}),
      extra: (gen) => [
        resolved.badRefs
          ? condition('ResolvedRefs', false, resolved.badRefs.reason, resolved.badRefs.message, gen)
          : condition('ResolvedRefs', true, 'ResolvedRefs', 'every CA certificate reference resolved', gen),
      ],
    });
    const validation = validationOf(p, resolved);
    const results: PolicyTargetResult[] = [];
    for (const t of p.spec.targetRefs ?? []) {
      const base = { kind: 'Service' as const, namespace: ns, name: t.name, ...(t.sectionName ? { sectionName: t.sectionName } : {}) };
      if ((t.group ?? '') !== '' || t.kind !== 'Service') {
        results.push({ ...base, reason: 'Invalid', message: `targetRef ${t.group || 'core'}/${t.kind} is not supported (core Service is)` });
        continue;
      }
      const what = `Service ${ns}/${t.name}${t.sectionName ? ` port ${t.sectionName}` : ''}`;
      const svc = services.get(key(ns, t.name));
      if (!svc || (t.sectionName !== undefined && !(svc.spec.ports ?? []).some((port) => port.name === t.sectionName))) {
        results.push({ ...base, reason: 'TargetNotFound', message: `${what} not found` });
        continue;
      }
      const tk = targetKey('Service', ns, t.name, t.sectionName);
      const winner = winnerNames.get(tk);
      if (winner !== undefined && winner !== pk) {
        results.push({ ...base, reason: 'Conflicted', message: `${what} already has BackendTLSPolicy ${winner} (older, or first by name)` });
        continue;
      }
      winnerNames.set(tk, pk);
      winners.set(tk, validation);
      results.push({ ...base, reason: 'Accepted', message: `TLS to ${what}` });
    }
    targets.set(pk, results);
  }
  return { targets, levels, winners };
}

/** The validation for a Service port: a policy naming the port wins over one on the whole Service. */
export function backendTlsFor(winners: ReadonlyMap<string, BackendTlsValidation>, namespace: string, name: string, portName: string | undefined): BackendTlsValidation | undefined {
  return (portName ? winners.get(targetKey('Service', namespace, name, portName)) : undefined) ?? winners.get(targetKey('Service', namespace, name));
}
