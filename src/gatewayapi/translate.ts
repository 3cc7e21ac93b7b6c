// The Gateway API processor: GatewayClasses, Gateways, HTTPRoutes, ReferenceGrants, Namespaces,
// Services, Secrets and WebSocketPolicies in; route entries, the listeners to serve and every
// object's status out, the way Contour's internal/dag builds its DAG and its statuses in one
// pass over a cache. Pure: no I/O (beyond the WebSocketRoute CRD that src/api loads once to
// validate policies), no clocks (a time for lastTransitionTime comes in as `now`), and the same
// input always gives the same output.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Condition } from '../api/types.js';
import { parseDuration } from '../api/duration.js';
import { isHeaderValue, isHttpToken } from '../api/formats.js';
import { compareStrings } from '../api/string-order.js';
import { condition, mergeControllerEntries, sameParentRef, withTransitionTimes } from './status-conditions.js';
import { intersectHostnames } from './hostnames.js';
import type {
  GatewayClassStatusResult,
  GatewayRouteEntry,
  GatewayStatusResult,
  HeaderModifier,
  HTTPRouteStatusResult,
  InvalidBackend,
  ListenerRef,
  PathModifier,
  PolicyStatusResult,
  ProgrammedListener,
  RouteBackend,
  RouteFilters,
  TranslateOutput,
  WebSocketBehaviour,
} from './model.js';
import {
  behaviourSpec,
  buildBehaviour,
  comparePolicies,
  policyKey,
  policyProblems,
  targetKey,
  targetKindOf,
  type TargetKind,
} from './policies.js';
import { referenceAllowed, selectorMatches } from './refs.js';
import { tlsOptionsPolicy } from './tls-options.js';
import type { TlsPolicy } from '../api/tls-policy.js';
import {
  CONTROLLER_NAME,
  GATEWAY_GROUP,
  type Gateway,
  type GatewayClass,
  type GatewayStatusAddress,
  type HTTPBackendRef,
  type HTTPHeaderFilter,
  type HTTPPathModifier,
  type HTTPRoute,
  type HTTPRouteFilter,
  type HTTPRouteMatch,
  type HTTPRouteRule,
  type Listener,
  type ListenerStatus,
  type Namespace,
  type ParentReference,
  type PolicyAncestorStatus,
  type ReferenceGrant,
  type RouteParentStatus,
  type Secret,
  type Service,
  type WebSocketPolicy,
} from './types.js';

/**
 * The Gateway API features wsgate claims: GatewayClass status.supportedFeatures (unless the
 * caller passes its own list) and exactly what `make gateway-conformance` passes to the upstream
 * suite as --supported-features (GATEWAY-HTTP profile); e2e/gateway/conformance.test.ts fails
 * unless every test of every one of them passes. Add a feature here only with a passing run.
 * Header matching, weights, RequestHeaderModifier and hostname redirects are core HTTPRoute.
 */
export const IMPLEMENTED_FEATURES = [
  'Gateway',
  'GatewayHTTPListenerIsolation',
  'GatewayPort8080',
  'HTTPRoute',
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolWebSocket',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteBackendTimeout',
  'HTTPRouteDestinationPortMatching',
  'HTTPRouteHostRewrite',
  'HTTPRouteMethodMatching',
  'HTTPRouteNamedRouteRule',
  'HTTPRouteParentRefPort',
  'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite',
  'HTTPRoutePortRedirect',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteRequestTimeout',
  'HTTPRouteResponseHeaderModification',
  'HTTPRouteSchemeRedirect',
  'ReferenceGrant',
] as const;

export interface TranslateInput {
  gatewayClasses: readonly GatewayClass[];
  gateways: readonly Gateway[];
  httpRoutes: readonly HTTPRoute[];
  referenceGrants: readonly ReferenceGrant[];
  namespaces: readonly Namespace[];
  services: readonly Service[];
  /** For HTTPS listeners' certificateRefs; absent: none exist. */
  secrets?: readonly Secret[];
  webSocketPolicies: readonly WebSocketPolicy[];
  /** status.addresses of a Gateway: the addresses of wsgate's Service (the same for every Gateway, or per Gateway). */
  addresses: readonly GatewayStatusAddress[] | ((gateway: { namespace: string; name: string }) => readonly GatewayStatusAddress[]);
  /** Listener ports wsgate can serve; absent: any port. */
  ports?: readonly number[];
  /** GatewayClass status.supportedFeatures; default IMPLEMENTED_FEATURES. */
  supportedFeatures?: readonly string[];
  /** Default wsgate.io/gateway-controller. */
  controllerName?: string;
  /** RFC 3339 time for lastTransitionTime of conditions that changed; absent: none is set. */
  now?: string;
}

const HTTPROUTE_KIND = { group: GATEWAY_GROUP, kind: 'HTTPRoute' };
const SUPPORTED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

const nsOf = (m: { namespace?: string }) => m.namespace ?? 'default';
const key = (namespace: string, name: string) => `${namespace}/${name}`;

// ---------------------------------------------------------------------------------------------
// listeners

interface ListenerState {
  listener: Listener;
  gateway: Gateway;
  namespace: string;
  /** Accepted (protocol, port, values, no conflict). */
  accepted: boolean;
  /** Accepted, references resolved and at least one route kind: routes may attach. */
  usable: boolean;
  supportsHTTPRoute: boolean;
  attached: Set<string>;
  status: Omit<ListenerStatus, 'attachedRoutes'>;
  certificates: Array<{ namespace: string; name: string }>;
  /** HTTPS: tls.options as a policy (absent: none given). */
  tlsPolicy?: TlsPolicy;
}

interface GatewayState {
  gateway: Gateway;
  namespace: string;
  generation: number;
  /** Gateway-level problem, when the Gateway cannot be accepted whatever its listeners. */
  problem?: { reason: string; message: string };
  classAccepted: boolean;
  listeners: ListenerState[];
  addresses: GatewayStatusAddress[];
}

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

function buildListeners(gw: Gateway, generation: number, input: TranslateInput, grants: readonly ReferenceGrant[], secrets: Map<string, Secret>): ListenerState[] {
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

    const resolvedProblem = certProblem ?? (kindsProblem ? { reason: 'InvalidRouteKinds', message: kindsProblem } : undefined);
    const accepted = acceptedProblem === undefined;
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
    };
  });
}

function buildGateway(gw: Gateway, classAccepted: boolean, input: TranslateInput, grants: readonly ReferenceGrant[], secrets: Map<string, Secret>): GatewayState {
  const namespace = nsOf(gw.metadata);
  const generation = gw.metadata.generation ?? 0;
  const assigned = [...(typeof input.addresses === 'function' ? input.addresses({ namespace, name: gw.metadata.name }) : input.addresses)].map((a) => ({
    type: a.type ?? 'IPAddress',
    value: a.value,
  }));
  let problem: GatewayState['problem'];
  if (!classAccepted) problem = { reason: 'Pending', message: `GatewayClass ${gw.spec.gatewayClassName} is not accepted` };
  else if (gw.spec.infrastructure?.parametersRef) problem = { reason: 'InvalidParameters', message: 'infrastructure.parametersRef is not supported' };
  else if (gw.spec.tls?.frontend !== undefined || gw.spec.tls?.backend !== undefined) {
    problem = { reason: 'UnsupportedValue', message: `spec.tls.${gw.spec.tls.frontend !== undefined ? 'frontend' : 'backend'} is not supported` };
  } else {
    const unassignable = (gw.spec.addresses ?? []).filter(
      (a) => !assigned.some((b) => b.value === a.value && b.type === (a.type ?? 'IPAddress')),
    );
    if (unassignable.length) {
      problem = {
        reason: 'UnsupportedAddress',
        message: `wsgate serves every Gateway on its own Service's addresses (${assigned.map((a) => a.value).join(', ') || 'none yet'}); it cannot assign ${unassignable.map((a) => a.value ?? a.type).join(', ')}`,
      };
    }
  }
  return { gateway: gw, namespace, generation, problem, classAccepted, listeners: buildListeners(gw, generation, input, grants, secrets), addresses: assigned };
}

function gatewayStatus(g: GatewayState): GatewayStatusResult {
  const gen = g.generation;
  const anyAccepted = g.listeners.some((l) => l.accepted);
  const allValid = g.listeners.every((l) => l.usable && l.status.conditions.every((c) => c.type === 'Conflicted' || c.status === 'True'));
  let accepted: Condition;
  if (g.problem) accepted = condition('Accepted', g.problem.reason === 'Pending' ? 'Unknown' : false, g.problem.reason, g.problem.message, gen);
  else if (!anyAccepted) accepted = condition('Accepted', false, 'ListenersNotValid', 'no listener is valid', gen);
  else if (!allValid) accepted = condition('Accepted', true, 'ListenersNotValid', `listeners not valid: ${g.listeners.filter((l) => !l.usable || l.status.conditions.some((c) => c.type !== 'Conflicted' && c.status !== 'True')).map((l) => l.listener.name).join(', ')}`, gen);
  else accepted = condition('Accepted', true, 'Accepted', 'gateway accepted', gen);
  const ok = accepted.status === 'True';
  const programmed = !ok
    ? condition('Programmed', false, 'Invalid', 'the gateway is not accepted', gen)
    : g.addresses.length === 0
      ? condition('Programmed', false, 'AddressNotAssigned', "wsgate's Service has no address yet", gen)
      : condition('Programmed', true, 'Programmed', 'gateway programmed', gen);
  const listeners: ListenerStatus[] = g.listeners.map((l) => ({
    ...l.status,
    conditions: ok ? l.status.conditions : l.status.conditions.map((c) => (c.type === 'Programmed' ? condition('Programmed', false, 'Invalid', 'the gateway is not accepted', gen) : c)),
    attachedRoutes: l.attached.size,
  }));
  return {
    namespace: g.namespace,
    name: g.gateway.metadata.name,
    generation: gen,
    status: { addresses: g.addresses, conditions: [accepted, programmed], listeners },
  };
}

// ---------------------------------------------------------------------------------------------
// routes: rules

interface RuleResult {
  index: number;
  rule: HTTPRouteRule;
  problems: string[];
  matches: Array<{ path: { type: 'Exact' | 'PathPrefix'; value: string }; headers: Array<{ name: string; value: string }>; queryParams: Array<{ name: string; value: string }>; method?: string }>;
  filters: RouteFilters;
  backends: RouteBackend[];
  timeouts: { requestMs?: number; backendRequestMs?: number };
}

/**
 * The Gateway API CRD puts no pattern on header values (and its name pattern is the only guard
 * on names): a value with CR or LF would be written into the backend's request or the client's
 * 101 as further header lines of the route author's choosing (Set-Cookie included). Such a
 * filter makes its rule invalid, with the field named.
 */
function headerModifierProblems(f: HTTPHeaderFilter | undefined, where: string, problems: string[]): void {
  for (const op of ['set', 'add'] as const) {
    (f?.[op] ?? []).forEach((h, i) => {
      if (!isHttpToken(h.name)) problems.push(`${where}.${op}[${i}].name ${JSON.stringify(h.name)} is not an HTTP header name`);
      if (!isHeaderValue(h.value)) problems.push(`${where}.${op}[${i}].value contains CR, LF or NUL, which would split the header`);
    });
  }
  (f?.remove ?? []).forEach((name, i) => {
    if (!isHttpToken(name)) problems.push(`${where}.remove[${i}] ${JSON.stringify(name)} is not an HTTP header name`);
  });
}

function headerModifier(f: HTTPHeaderFilter | undefined): HeaderModifier {
  return {
    set: (f?.set ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    add: (f?.add ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    remove: (f?.remove ?? []).map((h) => h.toLowerCase()),
  };
}

function pathModifier(p: HTTPPathModifier | undefined, where: string, problems: string[], matches: RuleResult['matches']): PathModifier | undefined {
  if (!p) return undefined;
  if (p.type === 'ReplaceFullPath') return { type: 'ReplaceFullPath', value: p.replaceFullPath ?? '/' };
  if (p.type === 'ReplacePrefixMatch') {
    if (matches.some((m) => m.path.type !== 'PathPrefix')) problems.push(`${where}: ReplacePrefixMatch needs PathPrefix matches`);
    return { type: 'ReplacePrefixMatch', value: p.replacePrefixMatch ?? '/' };
  }
  problems.push(`${where}.type ${String(p.type)} is not supported`);
  return undefined;
}

function translateMatches(rule: HTTPRouteRule, at: string, problems: string[]): RuleResult['matches'] {
  const matches: HTTPRouteMatch[] = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  return matches.map((m, j) => {
    const where = `${at}.matches[${j}]`;
    const type = m.path?.type ?? 'PathPrefix';
    const value = m.path?.value ?? '/';
    if (type !== 'Exact' && type !== 'PathPrefix') problems.push(`${where}.path.type ${type} is not supported (Exact and PathPrefix are)`);
    const exact = (list: HTTPRouteMatch['headers'], what: string) =>
      (list ?? []).flatMap((h, k) => {
        if ((h.type ?? 'Exact') !== 'Exact') {
          problems.push(`${where}.${what}[${k}].type ${h.type} is not supported (Exact is)`);
          return [];
        }
        return [{ name: what === 'headers' ? h.name.toLowerCase() : h.name, value: h.value }];
      });
    const headers = exact(m.headers, 'headers');
    const queryParams = exact(m.queryParams, 'queryParams');
    if (m.method !== undefined && !SUPPORTED_METHODS.has(m.method)) problems.push(`${where}.method ${m.method} is not supported`);
    return {
      path: { type: type === 'Exact' ? 'Exact' : 'PathPrefix', value },
      headers,
      queryParams,
      ...(m.method !== undefined ? { method: m.method } : {}),
    };
  });
}

function translateFilters(filters: readonly HTTPRouteFilter[] | undefined, at: string, problems: string[], matches: RuleResult['matches'], backendLevel: boolean): RouteFilters {
  const out: { -readonly [K in keyof RouteFilters]: RouteFilters[K] } = {};
  (filters ?? []).forEach((f, k) => {
    const where = `${at}.filters[${k}]`;
    const allowed = backendLevel ? ['RequestHeaderModifier', 'ResponseHeaderModifier'] : ['RequestHeaderModifier', 'ResponseHeaderModifier', 'URLRewrite', 'RequestRedirect'];
    if (!allowed.includes(f.type)) {
      problems.push(`${where}.type ${f.type} is not supported${backendLevel ? ' on a backendRef' : ''} (${allowed.join(', ')} are)`);
      return;
    }
    switch (f.type) {
      case 'RequestHeaderModifier':
        headerModifierProblems(f.requestHeaderModifier, `${where}.requestHeaderModifier`, problems);
        out.requestHeaders = headerModifier(f.requestHeaderModifier);
        break;
      case 'ResponseHeaderModifier':
        headerModifierProblems(f.responseHeaderModifier, `${where}.responseHeaderModifier`, problems);
        out.responseHeaders = headerModifier(f.responseHeaderModifier);
        break;
      case 'URLRewrite': {
        const path = pathModifier(f.urlRewrite?.path, `${where}.urlRewrite.path`, problems, matches);
        out.urlRewrite = { ...(f.urlRewrite?.hostname ? { hostname: f.urlRewrite.hostname } : {}), ...(path ? { path } : {}) };
        break;
      }
      case 'RequestRedirect': {
        const r = f.requestRedirect ?? {};
        const statusCode = r.statusCode ?? 302;
        if (!REDIRECT_CODES.has(statusCode)) problems.push(`${where}.requestRedirect.statusCode ${statusCode} is not supported`);
        const path = pathModifier(r.path, `${where}.requestRedirect.path`, problems, matches);
        out.redirect = {
          ...(r.scheme ? { scheme: r.scheme } : {}),
          ...(r.hostname ? { hostname: r.hostname } : {}),
          ...(path ? { path } : {}),
          ...(r.port !== undefined ? { port: r.port } : {}),
          statusCode: statusCode as 301 | 302 | 303 | 307 | 308,
        };
        break;
      }
    }
  });
  if (out.urlRewrite && out.redirect) problems.push(`${at}: URLRewrite and RequestRedirect cannot be combined`);
  return out;
}

/** GEP-1911: which appProtocol values wsgate speaks, and with which scheme. */
function schemeFor(appProtocol: string | undefined): 'ws' | 'wss' | undefined {
  if (appProtocol === undefined || appProtocol === '') return 'ws';
  const p = appProtocol.toLowerCase();
  if (p === 'kubernetes.io/ws' || p === 'http' || p === 'ws') return 'ws';
  if (p === 'kubernetes.io/wss' || p === 'https' || p === 'wss') return 'wss';
  return undefined;
}

function resolveBackend(
  ref: HTTPBackendRef,
  route: HTTPRoute,
  at: string,
  problems: string[],
  matches: RuleResult['matches'],
  services: Map<string, Service>,
  grants: readonly ReferenceGrant[],
): RouteBackend {
  const routeNs = nsOf(route.metadata);
  const weight = ref.weight ?? 1;
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  const ns = ref.namespace ?? routeNs;
  const invalid = (reason: InvalidBackend['reason'], message: string): InvalidBackend => ({ valid: false, weight, reason, message: `${at}: ${message}` });
  // First, so a filter's problems are reported whether or not the backend resolves.
  const filters = translateFilters(ref.filters, at, problems, matches, true);
  if (group !== '' || kind !== 'Service') return invalid('InvalidKind', `backendRef kind ${group || 'core'}/${kind} is not supported (core Service is)`);
  if (!referenceAllowed(grants, { group: GATEWAY_GROUP, kind: 'HTTPRoute', namespace: routeNs }, { group: '', kind: 'Service', namespace: ns, name: ref.name })) {
    return invalid('RefNotPermitted', `Service ${ns}/${ref.name} is in another namespace and no ReferenceGrant there allows it`);
  }
  const svc = services.get(key(ns, ref.name));
  if (!svc) return invalid('BackendNotFound', `Service ${ns}/${ref.name} not found`);
  if (ref.port === undefined) return invalid('BackendNotFound', `Service ${ns}/${ref.name}: backendRef port is required`);
  const port = (svc.spec.ports ?? []).find((p) => p.port === ref.port);
  if (!port) return invalid('BackendNotFound', `Service ${ns}/${ref.name} has no port ${ref.port}`);
  const scheme = schemeFor(port.appProtocol);
  if (!scheme) return invalid('UnsupportedProtocol', `Service ${ns}/${ref.name} port ${ref.port} has appProtocol ${port.appProtocol}, which wsgate does not speak`);
  return {
    valid: true,
    namespace: ns,
    name: ref.name,
    port: port.port,
    ...(port.name ? { portName: port.name } : {}),
    weight,
    scheme,
    ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}),
    ...(filters.requestHeaders ? { requestHeaders: filters.requestHeaders } : {}),
    ...(filters.responseHeaders ? { responseHeaders: filters.responseHeaders } : {}),
  };
}

function translateRule(route: HTTPRoute, rule: HTTPRouteRule, index: number, services: Map<string, Service>, grants: readonly ReferenceGrant[]): RuleResult {
  const at = `spec.rules[${index}]`;
  const problems: string[] = [];
  const matches = translateMatches(rule, at, problems);
  const filters = translateFilters(rule.filters, at, problems, matches, false);
  const backends = (rule.backendRefs ?? []).map((b, k) => resolveBackend(b, route, `${at}.backendRefs[${k}]`, problems, matches, services, grants));
  const timeouts: RuleResult['timeouts'] = {};
  for (const [field, out] of [['request', 'requestMs'], ['backendRequest', 'backendRequestMs']] as const) {
    const v = rule.timeouts?.[field];
    if (v === undefined) continue;
    try {
      timeouts[out] = parseDuration(v);
    } catch {
      problems.push(`${at}.timeouts.${field} "${v}" is not a duration`);
    }
  }
  return { index, rule, problems, matches, filters, backends, timeouts };
}

// ---------------------------------------------------------------------------------------------
// routes: parents

interface ParentResult {
  ref: ParentReference;
  gateway: GatewayState;
  accepted: Condition;
  /** Listeners the route is attached to (for attachedRoutes and ancestors). */
  attachedTo: ListenerState[];
  /** Attached listeners that can carry traffic: entries are made for these. */
  serving: Array<{ listener: ListenerState; hostnames: string[] }>;
}

function allowsNamespace(l: ListenerState, routeNs: string, namespaces: Map<string, Namespace>): boolean {
  const from = l.listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return routeNs === l.namespace;
  if (from === 'Selector') return selectorMatches(l.listener.allowedRoutes?.namespaces?.selector, namespaces.get(routeNs)?.metadata.labels);
  return false;
}

function resolveParent(route: HTTPRoute, ref: ParentReference, g: GatewayState, namespaces: Map<string, Namespace>, allRulesInvalid: string | undefined): ParentResult {
  const gen = route.metadata.generation ?? 0;
  const routeNs = nsOf(route.metadata);
  const result = (ok: boolean | 'Unknown', reason: string, message: string, attachedTo: ListenerState[] = [], serving: ParentResult['serving'] = []): ParentResult => ({
    ref,
    gateway: g,
    accepted: condition('Accepted', ok, reason, message, gen),
    attachedTo,
    serving,
  });
  const gwName = `${g.namespace}/${g.gateway.metadata.name}`;
  if (g.problem) return result(false, 'Pending', `Gateway ${gwName} is not accepted: ${g.problem.message}`);
  const selected = g.listeners.filter((l) => (ref.sectionName === undefined || l.listener.name === ref.sectionName) && (ref.port === undefined || l.listener.port === ref.port));
  if (selected.length === 0) {
    const what = [ref.sectionName !== undefined ? `sectionName ${ref.sectionName}` : '', ref.port !== undefined ? `port ${ref.port}` : ''].filter(Boolean).join(' and ');
    return result(false, 'NoMatchingParent', `Gateway ${gwName} has no listener with ${what || 'any name'}`);
  }
  const allowed = selected.filter((l) => l.supportsHTTPRoute && allowsNamespace(l, routeNs, namespaces));
  if (allowed.length === 0) return result(false, 'NotAllowedByListeners', `no listener of Gateway ${gwName} allows HTTPRoutes from namespace ${routeNs}`);
  const matched = allowed.flatMap((l) => {
    const hostnames = intersectHostnames(l.listener.hostname, route.spec.hostnames);
    return hostnames ? [{ listener: l, hostnames }] : [];
  });
  if (matched.length === 0) return result(false, 'NoMatchingListenerHostname', `no listener of Gateway ${gwName} has a hostname matching ${(route.spec.hostnames ?? []).join(', ')}`);
  // An accepted listener whose references do not resolve (a missing certificate) still has
  // the route attached (attachedRoutes counts it, as the spec's conformance tests expect); it
  // is not programmed, so no entries are made for it.
  const attachable = matched.filter((m) => m.listener.accepted);
  const serving = matched.filter((m) => m.listener.usable);
  if (attachable.length === 0) return result(false, 'NotAllowedByListeners', `the listeners of Gateway ${gwName} this route matches (${matched.map((m) => m.listener.listener.name).join(', ')}) are not valid`);
  if (allRulesInvalid !== undefined) return result(false, 'UnsupportedValue', `no rule can be served: ${allRulesInvalid}`);
  const unprogrammed = attachable.filter((m) => !m.listener.usable).map((m) => m.listener.listener.name);
  const note = unprogrammed.length ? `; listeners ${unprogrammed.join(', ')} are not programmed (see the Gateway's status) and serve nothing yet` : '';
  return result(true, 'Accepted', `accepted by Gateway ${gwName}${note}`, attachable.map((m) => m.listener), serving);
}

// ---------------------------------------------------------------------------------------------
// policies

interface PolicyTargetResult {
  kind: TargetKind;
  namespace: string;
  name: string;
  sectionName?: string;
  reason: 'Accepted' | 'Conflicted' | 'Invalid' | 'TargetNotFound';
  message: string;
}

// ---------------------------------------------------------------------------------------------

export function translate(input: TranslateInput): TranslateOutput {
  const controllerName = input.controllerName ?? CONTROLLER_NAME;
  const features = [...new Set(input.supportedFeatures ?? IMPLEMENTED_FEATURES)].sort();
  const grants = input.referenceGrants;
  const services = new Map(input.services.map((s) => [key(nsOf(s.metadata), s.metadata.name), s]));
  const secrets = new Map((input.secrets ?? []).map((s) => [key(nsOf(s.metadata), s.metadata.name), s]));
  const namespaces = new Map(input.namespaces.map((n) => [n.metadata.name, n]));

  // GatewayClasses: only ours.
  const gatewayClasses = new Map<string, GatewayClassStatusResult>();
  const classAccepted = new Map<string, boolean>();
  for (const gc of [...input.gatewayClasses].sort((a, b) => compareStrings(a.metadata.name, b.metadata.name))) {
    if (gc.spec.controllerName !== controllerName) continue;
    const gen = gc.metadata.generation ?? 0;
    const ok = gc.spec.parametersRef === undefined;
    classAccepted.set(gc.metadata.name, ok);
    const accepted = ok
      ? condition('Accepted', true, 'Accepted', 'wsgate serves this class', gen)
      : condition('Accepted', false, 'InvalidParameters', 'parametersRef is not supported: wsgate takes no parameters', gen);
    gatewayClasses.set(gc.metadata.name, {
      name: gc.metadata.name,
      generation: gen,
      conditions: withTransitionTimes(gc.status?.conditions, [accepted], input.now),
      supportedFeatures: ok ? features.map((name) => ({ name })) : [],
    });
  }

  // Gateways of our classes.
  const gatewayStates = new Map<string, GatewayState>();
  for (const gw of [...input.gateways].sort((a, b) => compareStrings(key(nsOf(a.metadata), a.metadata.name), key(nsOf(b.metadata), b.metadata.name)))) {
    const accepted = classAccepted.get(gw.spec.gatewayClassName);
    if (accepted === undefined) continue;
    gatewayStates.set(key(nsOf(gw.metadata), gw.metadata.name), buildGateway(gw, accepted, input, grants, secrets));
  }

  // HTTPRoutes: rules once per route, then each parentRef to one of our Gateways.
  const sortedRoutes = [...input.httpRoutes].sort((a, b) => compareStrings(key(nsOf(a.metadata), a.metadata.name), key(nsOf(b.metadata), b.metadata.name)));
  const routeRules = new Map<string, RuleResult[]>();
  const routeParents = new Map<string, ParentResult[]>();
  const httpRoutes = new Map<string, HTTPRouteStatusResult>();
  for (const route of sortedRoutes) {
    const routeNs = nsOf(route.metadata);
    const rk = key(routeNs, route.metadata.name);
    const gen = route.metadata.generation ?? 0;
    const rules = route.spec.rules ?? [{}];
    const results = rules.map((r, i) => translateRule(route, r, i, services, grants));
    routeRules.set(rk, results);
    const valid = results.filter((r) => r.problems.length === 0);
    const dropped = results.filter((r) => r.problems.length > 0);
    const allRulesInvalid = results.length > 0 && valid.length === 0 ? results.flatMap((r) => r.problems).join('; ') : undefined;

    const parents: ParentResult[] = [];
    for (const ref of route.spec.parentRefs ?? []) {
      if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') continue;
      const g = gatewayStates.get(key(ref.namespace ?? routeNs, ref.name));
      if (!g) continue; // not a Gateway of ours (or none at all): not ours to report on
      const p = resolveParent(route, ref, g, namespaces, allRulesInvalid);
      parents.push(p);
      if (p.accepted.status === 'True') for (const l of p.attachedTo) l.attached.add(rk);
    }
    routeParents.set(rk, parents);

    // ResolvedRefs over the rules that are kept.
    const invalidBackends = valid.flatMap((r) => r.backends.filter((b): b is InvalidBackend => !b.valid));
    const resolvedRefs = invalidBackends.length
      ? condition('ResolvedRefs', false, invalidBackends[0]!.reason, invalidBackends.map((b) => b.message).join('; '), gen)
      : condition('ResolvedRefs', true, 'ResolvedRefs', 'every backendRef resolved', gen);
    const ours: RouteParentStatus[] = parents.map((p) => {
      const conditions = [p.accepted, resolvedRefs];
      if (p.accepted.status === 'True' && dropped.length > 0) {
        conditions.push(
          condition(
            'PartiallyInvalid',
            true,
            'UnsupportedValue',
            `Dropped Rule(s) ${dropped.map((r) => r.index).join(', ')}: ${dropped.flatMap((r) => r.problems).join('; ')}`,
            gen,
          ),
        );
      }
      return { parentRef: { ...p.ref }, controllerName, conditions };
    });
    const hadOurs = (route.status?.parents ?? []).some((e) => e.controllerName === controllerName);
    if (ours.length > 0 || hadOurs) {
      httpRoutes.set(rk, {
        namespace: routeNs,
        name: route.metadata.name,
        generation: gen,
        parents: mergeControllerEntries(route.status?.parents, ours, controllerName, (a, b) => sameParentRef(a.parentRef, b.parentRef, routeNs), input.now),
      });
    }
  }

  // WebSocketPolicies: targets, conflicts, then the winner per target.
  const routesByKey = new Map(input.httpRoutes.map((r) => [key(nsOf(r.metadata), r.metadata.name), r]));
  const policyTargets = new Map<string, PolicyTargetResult[]>();
  const winners = new Map<string, WebSocketPolicy>();
  for (const p of [...input.webSocketPolicies].sort(comparePolicies)) {
    const ns = nsOf(p.metadata);
    const problems = policyProblems(p);
    const results: PolicyTargetResult[] = [];
    for (const t of p.spec.targetRefs ?? []) {
      const kind = targetKindOf(t);
      const base = { kind: kind ?? 'Service', namespace: ns, name: t.name, ...(t.sectionName ? { sectionName: t.sectionName } : {}) } as const;
      if (!kind) {
        results.push({ ...base, reason: 'Invalid', message: `targetRef ${t.group || 'core'}/${t.kind} is not supported (HTTPRoute and Service are)` });
        continue;
      }
      let found = false;
      if (kind === 'HTTPRoute') {
        const r = routesByKey.get(key(ns, t.name));
        found = !!r && (t.sectionName === undefined || (r.spec.rules ?? []).some((rule) => rule.name === t.sectionName));
      } else {
        const s = services.get(key(ns, t.name));
        found = !!s && (t.sectionName === undefined || (s.spec.ports ?? []).some((port) => port.name === t.sectionName));
      }
      const what = `${kind} ${ns}/${t.name}${t.sectionName ? ` section ${t.sectionName}` : ''}`;
      if (!found) {
        results.push({ ...base, kind, reason: 'TargetNotFound', message: `${what} not found` });
        continue;
      }
      if (problems.length) {
        results.push({ ...base, kind, reason: 'Invalid', message: problems.join('; ') });
        continue;
      }
      const tk = targetKey(kind, ns, t.name, t.sectionName);
      const winner = winners.get(tk);
      if (winner && winner !== p) {
        results.push({ ...base, kind, reason: 'Conflicted', message: `${what} already has WebSocketPolicy ${policyKey(winner)} (older, or first by name)` });
        continue;
      }
      winners.set(tk, p);
      results.push({ ...base, kind, reason: 'Accepted', message: `applies to ${what}` });
    }
    policyTargets.set(policyKey(p), results);
  }

  const defaults = (routeNs: string) => buildBehaviour({}, routeNs, { kind: 'Default' });
  const behaviourFor = (route: HTTPRoute, rule: RuleResult): WebSocketBehaviour => {
    const ns = nsOf(route.metadata);
    const ruleName = rule.rule.name;
    const onRule = ruleName ? winners.get(targetKey('HTTPRoute', ns, route.metadata.name, ruleName)) : undefined;
    if (onRule) return buildBehaviour(behaviourSpec(onRule), ns, { kind: 'WebSocketPolicy', namespace: ns, name: onRule.metadata.name, target: 'HTTPRouteRule' });
    const onRoute = winners.get(targetKey('HTTPRoute', ns, route.metadata.name));
    if (onRoute) return buildBehaviour(behaviourSpec(onRoute), ns, { kind: 'WebSocketPolicy', namespace: ns, name: onRoute.metadata.name, target: 'HTTPRoute' });
    // Service policies of the rule's backends, port-level first, in backendRef order.
    const found: Array<{ policy: WebSocketPolicy; target: 'Service' | 'ServicePort' }> = [];
    for (const b of rule.backends) {
      if (!b.valid) continue;
      const onPort = b.portName ? winners.get(targetKey('Service', b.namespace, b.name, b.portName)) : undefined;
      const onService = winners.get(targetKey('Service', b.namespace, b.name));
      const pick = onPort ? { policy: onPort, target: 'ServicePort' as const } : onService ? { policy: onService, target: 'Service' as const } : undefined;
      if (pick && !found.some((f) => f.policy === pick.policy)) found.push(pick);
    }
    if (found.length === 0) return defaults(ns);
    const [first, ...rest] = found;
    const pns = nsOf(first!.policy.metadata);
    return buildBehaviour(
      behaviourSpec(first!.policy),
      pns,
      { kind: 'WebSocketPolicy', namespace: pns, name: first!.policy.metadata.name, target: first!.target },
      rest.map((f) => policyKey(f.policy)),
    );
  };

  // Entries.
  const entries: GatewayRouteEntry[] = [];
  for (const route of sortedRoutes) {
    const routeNs = nsOf(route.metadata);
    const rk = key(routeNs, route.metadata.name);
    const routeKey = `HTTPRoute/${rk}`;
    const seen = new Set<string>();
    for (const p of routeParents.get(rk) ?? []) {
      if (p.accepted.status !== 'True') continue;
      for (const { listener: l, hostnames } of p.serving) {
        for (const rule of routeRules.get(rk) ?? []) {
          if (rule.problems.length) continue;
          const websocket = behaviourFor(route, rule);
          rule.matches.forEach((m, j) => {
            const lref: ListenerRef = {
              gatewayNamespace: l.namespace,
              gatewayName: l.gateway.metadata.name,
              listenerName: l.listener.name,
              port: l.listener.port,
              protocol: l.listener.protocol as 'HTTP' | 'HTTPS',
              hostname: (l.listener.hostname ?? '').toLowerCase(),
            };
            const entryKey = `${routeKey}/rule-${rule.index}/match-${j}@${lref.gatewayNamespace}/${lref.gatewayName}/${lref.listenerName}`;
            if (seen.has(entryKey)) return; // two parentRefs selecting the same listener
            seen.add(entryKey);
            entries.push({
              key: entryKey,
              routeKey,
              ruleKey: `${routeKey}/rule-${rule.index}`,
              source: {
                kind: 'HTTPRoute',
                namespace: routeNs,
                name: route.metadata.name,
                generation: route.metadata.generation ?? 0,
                creationTimestamp: route.metadata.creationTimestamp ?? '',
                ruleIndex: rule.index,
                ...(rule.rule.name ? { ruleName: rule.rule.name } : {}),
                matchIndex: j,
              },
              listener: lref,
              hostnames,
              path: m.path,
              headers: m.headers,
              queryParams: m.queryParams,
              ...(m.method ? { method: m.method } : {}),
              filters: rule.filters,
              backends: rule.backends,
              timeouts: rule.timeouts,
              websocket,
              precedence: [
                m.path.type === 'Exact' ? 0 : 1,
                -m.path.value.length,
                m.method ? 0 : 1,
                -m.headers.length,
                -m.queryParams.length,
                route.metadata.creationTimestamp ?? '',
                rk,
                rule.index,
                j,
                entryKey,
              ],
            });
          });
        }
      }
    }
  }
  entries.sort((a, b) => comparePrecedence(a.precedence, b.precedence));

  // Policy statuses: one ancestor per Gateway a target is reached through (or the target itself).
  const policies = new Map<string, PolicyStatusResult>();
  for (const p of input.webSocketPolicies) {
    const pk = policyKey(p);
    const gen = p.metadata.generation ?? 0;
    const ancestors = new Map<string, { ref: ParentReference; results: PolicyTargetResult[] }>();
    const add = (ref: ParentReference, r: PolicyTargetResult) => {
      const k = `${ref.group ?? ''}/${ref.kind ?? ''}/${ref.namespace ?? ''}/${ref.name}/${ref.sectionName ?? ''}`;
      const a = ancestors.get(k) ?? { ref, results: [] };
      a.results.push(r);
      ancestors.set(k, a);
    };
    for (const r of policyTargets.get(pk) ?? []) {
      const gateways = new Map<string, ParentReference>();
      if (r.reason !== 'TargetNotFound' && r.reason !== 'Invalid') {
        // A route whose parentRefs name none of our Gateways is another controller's (or no
        // one's): an entry of ours would claim a policy we do not apply.
        if (r.kind === 'HTTPRoute' && !routeParents.get(key(r.namespace, r.name))?.length) continue;
        const reaching = r.kind === 'HTTPRoute' ? [key(r.namespace, r.name)] : routesUsingService(r, routeRules);
        for (const rk of reaching) {
          for (const parent of routeParents.get(rk) ?? []) {
            if (parent.accepted.status !== 'True') continue;
            const g = parent.gateway;
            gateways.set(key(g.namespace, g.gateway.metadata.name), { group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.namespace, name: g.gateway.metadata.name });
          }
        }
      }
      if (gateways.size === 0) {
        add({ group: r.kind === 'HTTPRoute' ? GATEWAY_GROUP : '', kind: r.kind, namespace: r.namespace, name: r.name, ...(r.sectionName ? { sectionName: r.sectionName } : {}) }, r);
      } else {
        for (const ref of [...gateways.values()].sort((a, b) => compareStrings(key(a.namespace!, a.name), key(b.namespace!, b.name)))) add(ref, r);
      }
    }
    const ours: PolicyAncestorStatus[] = [...ancestors.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .slice(0, 16)
      .map(([, a]) => {
        const bad = a.results.find((r) => r.reason !== 'Accepted');
        const accepted = bad
          ? condition('Accepted', false, bad.reason, a.results.filter((r) => r.reason !== 'Accepted').map((r) => r.message).join('; '), gen)
          : condition('Accepted', true, 'Accepted', a.results.map((r) => r.message).join('; '), gen);
        return { ancestorRef: a.ref, controllerName, conditions: [accepted] };
      });
    policies.set(pk, {
      namespace: nsOf(p.metadata),
      name: p.metadata.name,
      generation: gen,
      ancestors: mergeControllerEntries(p.status?.ancestors, ours, controllerName, (a, b) => sameParentRef(a.ancestorRef, b.ancestorRef, nsOf(p.metadata)), input.now),
    });
  }

  // Gateway statuses last: attachedRoutes is known now.
  const gateways = new Map<string, GatewayStatusResult>();
  const listeners: ProgrammedListener[] = [];
  for (const [gk, g] of gatewayStates) {
    const s = gatewayStatus(g);
    const previous = input.gateways.find((x) => key(nsOf(x.metadata), x.metadata.name) === gk) as (Gateway & { status?: { conditions?: Condition[]; listeners?: ListenerStatus[] } }) | undefined;
    s.status.conditions = withTransitionTimes(previous?.status?.conditions, s.status.conditions, input.now);
    s.status.listeners = s.status.listeners.map((l) => ({ ...l, conditions: withTransitionTimes(previous?.status?.listeners?.find((x) => x.name === l.name)?.conditions, l.conditions, input.now) }));
    gateways.set(gk, s);
    if (s.status.conditions[0]!.status !== 'True') continue;
    for (const l of g.listeners) {
      if (!l.usable) continue;
      listeners.push({
        gatewayNamespace: g.namespace,
        gatewayName: g.gateway.metadata.name,
        listenerName: l.listener.name,
        port: l.listener.port,
        protocol: l.listener.protocol as 'HTTP' | 'HTTPS',
        ...(l.listener.hostname ? { hostname: l.listener.hostname.toLowerCase() } : {}),
        certificates: l.certificates,
        ...(l.tlsPolicy ? { tlsPolicy: l.tlsPolicy } : {}),
      });
    }
  }

  return { routes: entries, listeners, gatewayClasses, gateways, httpRoutes, policies };
}

function routesUsingService(t: PolicyTargetResult, routeRules: Map<string, RuleResult[]>): string[] {
  const out: string[] = [];
  for (const [rk, rules] of routeRules) {
    const uses = rules.some((r) =>
      r.problems.length === 0 &&
      r.backends.some((b) => b.valid && b.namespace === t.namespace && b.name === t.name && (t.sectionName === undefined || b.portName === t.sectionName)),
    );
    if (uses) out.push(rk);
  }
  return out;
}

/** Element by element; numbers numerically, strings by code unit. */
export function comparePrecedence(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return compareStrings(String(x), String(y));
  }
  return 0;
}
