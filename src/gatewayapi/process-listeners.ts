// ProcessListeners: the Gateways of wsgate's classes and their listeners, each checked on its
// own (protocol, port, TLS mode and options, route kinds, certificates) and against the others
// on its port (protocol and hostname conflicts), with the listener conditions. Routes attach
// to the listeners found usable here; the Gateway's own status is written last
// (process-statuses.ts), when attachedRoutes is known.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Condition } from '../api/types.js';
import { compareStrings } from '../api/string-order.js';
import { resolveFrontendValidation } from './frontend-validation.js';
import { condition } from './status-conditions.js';
import { referenceAllowed } from './refs.js';
import { tlsOptionsPolicy } from './tls-options.js';
import { key, nsOf, type GatewayState, type Indexes, type ListenerState, type TranslateInput } from './translate-state.js';
import { GATEWAY_GROUP, type Gateway, type Listener, type Secret } from './types.js';

const HTTPROUTE_KIND = { group: GATEWAY_GROUP, kind: 'HTTPRoute' };

function certificateProblem(secret: Secret): string | undefined {
  const crt = secret.data?.['tls.crt'];
  const tlsKey = secret.data?.['tls.key'];
  if (!crt || !tlsKey) return 'has no tls.crt and tls.key';
  try {
    new X509Certificate(Buffer.from(crt, 'base64'));
  } catch {
    return 'tls.crt is not a PEM certificate';
  }
  try {
    createPrivateKey(Buffer.from(tlsKey, 'base64'));
  } catch {
    return 'tls.key is not a PEM private key';
  }
  return undefined;
}

function buildListeners(gw: Gateway, generation: number, input: TranslateInput, indexes: Indexes): ListenerState[] {
  const { grants, secrets } = indexes;
  const namespace = nsOf(gw.metadata);
  const listeners = gw.spec.listeners ?? [];
  // Conflicts (within this Gateway): different protocols on one port, or the same hostname twice on one port.
  const conflicts = new Map<string, { reason: string; message: string }>();
  const byPort = new Map<number, Listener[]>();
  for (const l of listeners) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
  for (const [port, group] of byPort) {
    const protocols = new Set(group.map((l) => l.protocol));
    if (protocols.size > 1) {
      for (const l of group) conflicts.set(l.name, { reason: 'ProtocolConflict', message: `port ${port} is used with protocols ${[...protocols].sort().join(', ')}` });
      continue;
    }
    const byHost = new Map<string, Listener[]>();
    for (const l of group) byHost.set(l.hostname ?? '', [...(byHost.get(l.hostname ?? '') ?? []), l]);
    for (const [host, same] of byHost) {
      if (same.length < 2) continue;
      for (const l of same) {
        conflicts.set(l.name, {
          reason: 'HostnameConflict',
          message: `listeners ${same.map((x) => x.name).join(', ')} all use port ${port} and ${host ? `hostname ${host}` : 'no hostname'}`,
        });
      }
    }
  }

  return listeners.map((l): ListenerState => {
    const protocolOk = l.protocol === 'HTTP' || l.protocol === 'HTTPS';
    let acceptedProblem: { reason: string; message: string } | undefined;
    const tlsOptions = tlsOptionsPolicy(l.tls?.options);
    if (!protocolOk) acceptedProblem = { reason: 'UnsupportedProtocol', message: `protocol ${l.protocol} is not supported (HTTP and HTTPS are)` };
    else if (input.ports && !input.ports.includes(l.port)) acceptedProblem = { reason: 'PortUnavailable', message: `port ${l.port} is not served by wsgate (${input.ports.join(', ')})` };
    else if (l.protocol === 'HTTPS' && (l.tls?.mode ?? 'Terminate') !== 'Terminate') acceptedProblem = { reason: 'UnsupportedValue', message: `tls.mode ${l.tls?.mode} is not supported on HTTPS (Terminate is)` };
    else if (!tlsOptions.ok) acceptedProblem = { reason: 'UnsupportedValue', message: tlsOptions.message };
    else if (conflicts.has(l.name)) acceptedProblem = conflicts.get(l.name);

    // Route kinds.
    const kinds = l.allowedRoutes?.kinds;
    let supportedKinds: Array<{ group: string; kind: string }> = [];
    let kindsProblem: string | undefined;
    if (protocolOk) {
      if (kinds === undefined || kinds.length === 0) supportedKinds = [HTTPROUTE_KIND];
      else {
        const invalid: string[] = [];
        for (const k of kinds) {
          const group = k.group ?? GATEWAY_GROUP;
          if (group === GATEWAY_GROUP && k.kind === 'HTTPRoute') {
            if (!supportedKinds.length) supportedKinds.push(HTTPROUTE_KIND);
          } else invalid.push(`${group || 'core'}/${k.kind}`);
        }
        if (invalid.length) kindsProblem = `route kinds ${invalid.join(', ')} are not supported (HTTPRoute is)`;
      }
    }

    // Certificates.
    const certificates: Array<{ namespace: string; name: string }> = [];
    let certProblem: { reason: string; message: string } | undefined;
    if (l.protocol === 'HTTPS') {
      const refs = l.tls?.certificateRefs ?? [];
      if (refs.length === 0) certProblem = { reason: 'InvalidCertificateRef', message: 'an HTTPS listener needs tls.certificateRefs' };
      for (const ref of refs) {
        const group = ref.group ?? '';
        const kind = ref.kind ?? 'Secret';
        const refNs = ref.namespace ?? namespace;
        const at = `${refNs}/${ref.name}`;
        let p: { reason: string; message: string } | undefined;
        if (group !== '' || kind !== 'Secret') p = { reason: 'InvalidCertificateRef', message: `certificateRef ${group || 'core'}/${kind} ${at}: only core Secrets are supported` };
        else if (!referenceAllowed(grants, { group: GATEWAY_GROUP, kind: 'Gateway', namespace }, { group: '', kind: 'Secret', namespace: refNs, name: ref.name })) {
          p = { reason: 'RefNotPermitted', message: `certificateRef Secret ${at} is in another namespace and no ReferenceGrant there allows it` };
        } else {
          const secret = secrets.get(at);
          const bad = secret ? certificateProblem(secret) : 'does not exist';
          if (bad) p = { reason: 'InvalidCertificateRef', message: `certificateRef Secret ${at} ${bad}` };
          else certificates.push({ namespace: refNs, name: ref.name });
        }
        if (p && !certProblem) certProblem = p;
      }
    }

    // Client certificates (the Gateway's spec.tls.frontend for this port): HTTPS listeners only.
    const frontend = l.protocol === 'HTTPS' ? resolveFrontendValidation(gw, namespace, l.port, indexes) : ({ kind: 'none' } as const);
    const caProblem = frontend.kind === 'resolved' ? frontend.problem : undefined;
    if (frontend.kind === 'resolved' && !frontend.validation && !acceptedProblem) {
      acceptedProblem = { reason: 'NoValidCACertificate', message: `no caCertificateRef for port ${l.port} is usable: ${caProblem?.message ?? 'none given'}` };
    }
    const clientValidation = frontend.kind === 'resolved' ? frontend.validation : undefined;

    const resolvedProblem = certProblem ?? caProblem ?? (kindsProblem ? { reason: 'InvalidRouteKinds', message: kindsProblem } : undefined);
    const accepted = acceptedProblem === undefined;
    // A CA ref that does not resolve beside one that does leaves the listener usable with the
    // CAs that do (the spec: only when none is usable is the listener refused).
    const usable = accepted && certProblem === undefined && supportedKinds.length > 0;
    const conflict = conflicts.get(l.name);
    const conditions: Condition[] = [
      acceptedProblem ? condition('Accepted', false, acceptedProblem.reason, acceptedProblem.message, generation) : condition('Accepted', true, 'Accepted', 'listener accepted', generation),
      usable ? condition('Programmed', true, 'Programmed', 'listener programmed', generation) : condition('Programmed', false, 'Invalid', 'listener is not valid: see Accepted and ResolvedRefs', generation),
      resolvedProblem ? condition('ResolvedRefs', false, resolvedProblem.reason, resolvedProblem.message, generation) : condition('ResolvedRefs', true, 'ResolvedRefs', 'references resolved', generation),
      conflict ? condition('Conflicted', true, conflict.reason, conflict.message, generation) : condition('Conflicted', false, 'NoConflicts', 'no conflicts', generation),
    ];
    return {
      listener: l,
      gateway: gw,
      namespace,
      accepted,
      usable,
      supportsHTTPRoute: supportedKinds.length > 0,
      attached: new Set(),
      status: { name: l.name, supportedKinds, conditions },
      certificates,
      ...(tlsOptions.ok && tlsOptions.policy && l.protocol === 'HTTPS' ? { tlsPolicy: tlsOptions.policy } : {}),
      ...(clientValidation ? { clientValidation } : {}),
    };
  });
}

function buildGateway(gw: Gateway, classAccepted: boolean, input: TranslateInput, indexes: Indexes): GatewayState {
  const namespace = nsOf(gw.metadata);
  const generation = gw.metadata.generation ?? 0;
  const assigned = [...(typeof input.addresses === 'function' ? input.addresses({ namespace, name: gw.metadata.name }) : input.addresses)].map((a) => ({
    type: a.type ?? 'IPAddress',
    value: a.value,
  }));
  let problem: GatewayState['problem'];
  if (!classAccepted) problem = { reason: 'Pending', message: `GatewayClass ${gw.spec.gatewayClassName} is not accepted` };
  else if (gw.spec.infrastructure?.parametersRef) problem = { reason: 'InvalidParameters', message: 'infrastructure.parametersRef is not supported' };
  else if (gw.spec.tls?.backend !== undefined) {
    problem = { reason: 'UnsupportedValue', message: 'spec.tls.backend is not supported' };
  } else {
    // An address without a value (GatewayAddressEmpty) asks for any address of its type: one
    // wsgate assigns satisfies it, and while none is assigned yet Programmed says so.
    const unassignable = (gw.spec.addresses ?? []).filter((a) => {
      const type = a.type ?? 'IPAddress';
      if (!a.value) return assigned.length > 0 && !assigned.some((b) => b.type === type);
      return !assigned.some((b) => b.value === a.value && b.type === type);
    });
    if (unassignable.length) {
      problem = {
        reason: 'UnsupportedAddress',
        message: `wsgate serves every Gateway on its own Service's addresses (${assigned.map((a) => a.value).join(', ') || 'none yet'}); it cannot assign ${unassignable.map((a) => a.value || `an address of type ${a.type ?? 'IPAddress'}`).join(', ')}`,
      };
    }
  }
  return { gateway: gw, namespace, generation, problem, classAccepted, listeners: buildListeners(gw, generation, input, indexes), addresses: assigned };
}

/** Keyed by "ns/name"; only Gateways of our classes, in name order. */
export function processListeners(input: TranslateInput, classAccepted: ReadonlyMap<string, boolean>, indexes: Indexes): Map<string, GatewayState> {
  const gatewayStates = new Map<string, GatewayState>();
  for (const gw of [...input.gateways].sort((a, b) => compareStrings(key(nsOf(a.metadata), a.metadata.name), key(nsOf(b.metadata), b.metadata.name)))) {
    const accepted = classAccepted.get(gw.spec.gatewayClassName);
    if (accepted === undefined) continue;
    gatewayStates.set(key(nsOf(gw.metadata), gw.metadata.name), buildGateway(gw, accepted, input, indexes));
  }
  return gatewayStates;
}
