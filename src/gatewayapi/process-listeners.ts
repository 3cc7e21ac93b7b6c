// ProcessListeners: the Gateways of wsgate's classes and their listeners, each checked on its
// own (protocol, port, TLS mode and options, route kinds, certificates) and against the others
// on its port (protocol and hostname conflicts), with the listener conditions, and its
// spec.addresses against what wsgate assigned (spec-addresses.ts). buildListeners also builds a
// ListenerSet's listeners (process-listener-sets.ts), against the ports its Gateway's and older
// sets' listeners claimed. Routes attach to the listeners found usable here; the Gateway's own
// status is written last (process-statuses.ts), when attachedRoutes is known.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Condition } from '../api/types.js';
import { compareStrings } from '../api/string-order.js';
import { resolveFrontendValidation } from './frontend-validation.js';
import { condition } from './status-conditions.js';
import { referenceAllowed } from './refs.js';
import { checkSpecAddresses, DEFAULT_ADDRESS_TYPES } from './spec-addresses.js';
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

/**
 * Ports taken by listeners of higher precedence: the spec merges a Gateway's listeners with its
 * ListenerSets' in the order Gateway, then ListenerSets oldest first, then by namespace/name; a
 * later listener that conflicts with an earlier accepted one is the one refused.
 */
export type PortClaims = Map<number, { protocol: string; hostnames: Set<string> }>;

/** Whose listeners are built: the Gateway's own or a ListenerSet's (served by its parent Gateway). */
export interface ListenerOwner {
  /** The Gateway that serves them. */
  gateway: Gateway;
  kind: 'Gateway' | 'ListenerSet';
  /** The owner's namespace: certificateRefs default to it and ReferenceGrants are checked from it. */
  namespace: string;
  generation: number;
  listenerSet?: { namespace: string; name: string };
}

type Problem = { reason: string; message: string };

/**
 * Conflicts with `claims` first (the newcomer refused: it takes nothing from a listener of higher
 * precedence), then among the remaining `listeners` themselves (all of them refused: none has
 * precedence over another of the same Gateway or ListenerSet).
 */
function findConflicts(listeners: readonly Listener[], claims: PortClaims): Map<string, Problem> {
  const conflicts = new Map<string, Problem>();
  for (const l of listeners) {
    const claim = claims.get(l.port);
    if (!claim) continue;
    if (claim.protocol !== l.protocol) conflicts.set(l.name, { reason: 'ProtocolConflict', message: `port ${l.port} is already used with protocol ${claim.protocol} by a listener of higher precedence` });
    else if (claim.hostnames.has(l.hostname ?? '')) {
      conflicts.set(l.name, { reason: 'HostnameConflict', message: `port ${l.port} and ${l.hostname ? `hostname ${l.hostname}` : 'no hostname'} are already used by a listener of higher precedence` });
    }
  }
  const byPort = new Map<number, Listener[]>();
  for (const l of listeners) if (!conflicts.has(l.name)) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
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
  return conflicts;
}

/** Adds the accepted listeners' ports and hostnames to `claims`. */
export function claimPorts(claims: PortClaims, states: readonly ListenerState[]): void {
  for (const s of states) {
    if (!s.accepted) continue;
    const claim = claims.get(s.listener.port) ?? { protocol: s.listener.protocol, hostnames: new Set<string>() };
    claim.hostnames.add(s.listener.hostname ?? '');
    claims.set(s.listener.port, claim);
  }
}

/** Each listener checked on its own and against the others and `claims`, with its conditions. */
export function buildListeners(listeners: readonly Listener[], owner: ListenerOwner, claims: PortClaims, input: TranslateInput, indexes: Indexes): ListenerState[] {
  const { grants, secrets } = indexes;
  const { gateway: gw, generation, namespace } = owner;
  const conflicts = findConflicts(listeners, claims);

  return listeners.map((l): ListenerState => {
    const protocolOk = l.protocol === 'HTTP' || l.protocol === 'HTTPS';
    let acceptedProblem: { reason: string; message: string } | undefined;
    const tlsOptions = tlsOptionsPolicy(l.tls?.options);
    // A conflict first: it is what the spec asks to report when a listener is refused for both.
    if (conflicts.has(l.name)) acceptedProblem = conflicts.get(l.name);
    else if (!protocolOk) acceptedProblem = { reason: 'UnsupportedProtocol', message: `protocol ${l.protocol} is not supported (HTTP and HTTPS are)` };
    else if (input.ports && !input.ports.includes(l.port)) acceptedProblem = { reason: 'PortUnavailable', message: `port ${l.port} is not served by wsgate (${input.ports.join(', ')})` };
    else if (l.protocol === 'HTTPS' && (l.tls?.mode ?? 'Terminate') !== 'Terminate') acceptedProblem = { reason: 'UnsupportedValue', message: `tls.mode ${l.tls?.mode} is not supported on HTTPS (Terminate is)` };
    else if (!tlsOptions.ok) acceptedProblem = { reason: 'UnsupportedValue', message: tlsOptions.message };

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
    } else if (kinds?.length) {
      kindsProblem = `route kinds ${kinds.map((k) => `${(k.group ?? GATEWAY_GROUP) || 'core'}/${k.kind}`).join(', ')} are not supported on protocol ${l.protocol}`;
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
        else if (!referenceAllowed(grants, { group: GATEWAY_GROUP, kind: owner.kind, namespace }, { group: '', kind: 'Secret', namespace: refNs, name: ref.name })) {
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

    // Client certificates (the serving Gateway's spec.tls.frontend for this port): HTTPS listeners only.
    const gw = owner.gateway;
    const frontend = l.protocol === 'HTTPS' ? resolveFrontendValidation(gw, nsOf(gw.metadata), l.port, indexes) : ({ kind: 'none' } as const);
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
      usable
        ? condition('Programmed', true, 'Programmed', 'listener programmed', generation)
        : conflict
          ? condition('Programmed', false, conflict.reason, conflict.message, generation)
          : condition('Programmed', false, 'Invalid', 'listener is not valid: see Accepted and ResolvedRefs', generation),
      resolvedProblem ? condition('ResolvedRefs', false, resolvedProblem.reason, resolvedProblem.message, generation) : condition('ResolvedRefs', true, 'ResolvedRefs', 'references resolved', generation),
      conflict ? condition('Conflicted', true, conflict.reason, conflict.message, generation) : condition('Conflicted', false, 'NoConflicts', 'no conflicts', generation),
    ];
    return {
      listener: l,
      gateway: gw,
      namespace: nsOf(gw.metadata),
      ...(owner.listenerSet ? { listenerSet: owner.listenerSet } : {}),
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
  let addressNotUsable: string | undefined;
  if (!classAccepted) problem = { reason: 'Pending', message: `GatewayClass ${gw.spec.gatewayClassName} is not accepted` };
  else if (gw.spec.infrastructure?.parametersRef) problem = { reason: 'InvalidParameters', message: 'infrastructure.parametersRef is not supported' };
  else {
    const check = checkSpecAddresses(gw.spec.addresses ?? [], assigned, input.addressTypes ?? DEFAULT_ADDRESS_TYPES);
    if (check.unsupported) problem = { reason: 'UnsupportedAddress', message: check.unsupported };
    else if (check.notUsable) addressNotUsable = check.notUsable;
  }
  const backend = gw.spec.tls?.backend !== undefined ? backendClientCertificate(gw, indexes) : undefined;
  return {
    gateway: gw,
    namespace,
    generation,
    problem,
    classAccepted,
    ...(addressNotUsable ? { addressNotUsable } : {}),
    listeners: buildListeners(gw.spec.listeners ?? [], { gateway: gw, kind: 'Gateway', namespace, generation }, new Map(), input, indexes),
    addresses: assigned,
    listenerSets: [],
    ...(backend?.certificate ? { backendClientCertificate: backend.certificate } : {}),
    ...(backend ? { backendTlsRefs: backend.problem ? { problem: backend.problem } : {} } : {}),
  };
}

/**
 * spec.tls.backend.clientCertificateRef (GatewayBackendClientCertificate): a kubernetes.io/tls
 * Secret, in another namespace only with a ReferenceGrant. A bad one leaves the Gateway Accepted
 * with ResolvedRefs=False, and no certificate is presented.
 */
function backendClientCertificate(gw: Gateway, { grants, secrets }: Indexes): { certificate?: { namespace: string; name: string }; problem?: { reason: string; message: string } } {
  const ref = gw.spec.tls?.backend?.clientCertificateRef;
  if (!ref) return {};
  const namespace = nsOf(gw.metadata);
  const refNs = ref.namespace ?? namespace;
  const at = `${refNs}/${ref.name}`;
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Secret';
  if (group !== '' || kind !== 'Secret') return { problem: { reason: 'InvalidClientCertificateRef', message: `clientCertificateRef ${group || 'core'}/${kind} ${at}: only core Secrets are supported` } };
  if (!referenceAllowed(grants, { group: GATEWAY_GROUP, kind: 'Gateway', namespace }, { group: '', kind: 'Secret', namespace: refNs, name: ref.name })) {
    return { problem: { reason: 'RefNotPermitted', message: `clientCertificateRef Secret ${at} is in another namespace and no ReferenceGrant there allows it` } };
  }
  const secret = secrets.get(at);
  const bad = secret ? certificateProblem(secret) : 'does not exist';
  if (bad) return { problem: { reason: 'InvalidClientCertificateRef', message: `clientCertificateRef Secret ${at} ${bad}` } };
  return { certificate: { namespace: refNs, name: ref.name } };
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
