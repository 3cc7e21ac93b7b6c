// One HTTPRoute rule: its matches, filters, backendRefs (resolved to Service ports, or invalid
// with the reason the spec names), timeouts, session persistence and retry, with every problem that
// makes it unservable.

import { parseDuration } from '../api/duration.js';
import type { InvalidBackend, RequestMirror, RouteBackend } from './model.js';
import { backendTlsFor } from './process-backend-tls.js';
import { referenceAllowed } from './refs.js';
import { translateFilters } from './route-filters.js';
import { translateRetry } from './route-retry.js';
import { translateSessionPersistence } from './route-session-persistence.js';
import { key, nsOf, type Indexes, type RuleMatches, type RuleResult } from './translate-state.js';
import { GATEWAY_GROUP, type HTTPBackendRef, type HTTPRoute, type HTTPRouteMatch, type HTTPRouteRule } from './types.js';

const SUPPORTED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function translateMatches(rule: HTTPRouteRule, at: string, problems: string[]): RuleMatches {
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

/**
 * GEP-1911: which appProtocol values wsgate speaks, with which scheme, and whether plain
 * requests go over h2c (kubernetes.io/h2c: HTTP/2 with prior knowledge; upgrades stay HTTP/1.1).
 */
function protocolFor(appProtocol: string | undefined): { scheme: 'ws' | 'wss'; protocol?: 'h2c' } | undefined {
  if (appProtocol === undefined || appProtocol === '') return { scheme: 'ws' };
  const p = appProtocol.toLowerCase();
  if (p === 'kubernetes.io/ws' || p === 'http' || p === 'ws') return { scheme: 'ws' };
  if (p === 'kubernetes.io/wss' || p === 'https' || p === 'wss') return { scheme: 'wss' };
  if (p === 'kubernetes.io/h2c') return { scheme: 'ws', protocol: 'h2c' };
  return undefined;
}

function resolveBackend(
  ref: HTTPBackendRef,
  route: HTTPRoute,
  at: string,
  problems: string[],
  matches: RuleMatches,
  { services, grants, backendTls }: Indexes,
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
  const spoken = protocolFor(port.appProtocol);
  if (!spoken) return invalid('UnsupportedProtocol', `Service ${ns}/${ref.name} port ${ref.port} has appProtocol ${port.appProtocol}, which wsgate does not speak`);
  // A BackendTLSPolicy on the port means TLS whatever the appProtocol says (GEP-1897).
  const tls = backendTlsFor(backendTls, ns, ref.name, port.name);
  return {
    valid: true,
    namespace: ns,
    name: ref.name,
    port: port.port,
    ...(port.name ? { portName: port.name } : {}),
    weight,
    scheme: tls ? 'wss' : spoken.scheme,
    // h2c is cleartext: with a policy the backend gets TLS (HTTP/1.1) instead.
    ...(spoken.protocol && !tls ? { protocol: spoken.protocol } : {}),
    ...(tls ? { tls } : {}),
    ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}),
    ...(filters.requestHeaders ? { requestHeaders: filters.requestHeaders } : {}),
    ...(filters.responseHeaders ? { responseHeaders: filters.responseHeaders } : {}),
  };
}

/**
 * The rule's RequestMirror filters, their backendRefs resolved as a rule's are. A mirror that
 * does not resolve makes the rule invalid: requests would silently not be copied.
 */
function translateMirrors(route: HTTPRoute, rule: HTTPRouteRule, at: string, problems: string[], matches: RuleMatches, indexes: Indexes): RequestMirror[] {
  const out: RequestMirror[] = [];
  (rule.filters ?? []).forEach((f, k) => {
    if (f.type !== 'RequestMirror') return;
    const where = `${at}.filters[${k}].requestMirror`;
    const m = f.requestMirror;
    if (!m?.backendRef) {
      problems.push(`${where}.backendRef is required`);
      return;
    }
    const backend = resolveBackend({ ...m.backendRef, weight: 1 }, route, `${where}.backendRef`, problems, matches, indexes);
    if (!backend.valid) {
      problems.push(backend.message);
      return;
    }
    const fraction = m.fraction;
    const denominator = fraction?.denominator ?? 100;
    const percent = m.percent ?? (fraction ? (fraction.numerator * 100) / denominator : 100);
    if (m.percent !== undefined && fraction !== undefined) problems.push(`${where}: percent and fraction cannot both be set`);
    else if (fraction && (denominator <= 0 || fraction.numerator < 0 || fraction.numerator > denominator)) problems.push(`${where}.fraction ${fraction.numerator}/${denominator} is not a share of requests`);
    else if (!(percent >= 0 && percent <= 100)) problems.push(`${where}.percent ${percent} is not between 0 and 100`);
    out.push({ backend, percent });
  });
  return out;
}

export function translateRule(route: HTTPRoute, rule: HTTPRouteRule, index: number, indexes: Indexes): RuleResult {
  const at = `spec.rules[${index}]`;
  const problems: string[] = [];
  const matches = translateMatches(rule, at, problems);
  const mirrors = translateMirrors(route, rule, at, problems, matches, indexes);
  const filters = { ...translateFilters(rule.filters, at, problems, matches, false), ...(mirrors.length ? { mirrors } : {}) };
  const backends = (rule.backendRefs ?? []).map((b, k) => resolveBackend(b, route, `${at}.backendRefs[${k}]`, problems, matches, indexes));
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
  const sessionPersistence = rule.sessionPersistence ? translateSessionPersistence(rule.sessionPersistence, `${at}.sessionPersistence`, problems) : undefined;
  const retry = rule.retry ? translateRetry(rule.retry, `${at}.retry`, problems) : undefined;
  return { index, rule, problems, matches, filters, backends, timeouts, ...(sessionPersistence ? { sessionPersistence } : {}), ...(retry ? { retry } : {}) };
}
