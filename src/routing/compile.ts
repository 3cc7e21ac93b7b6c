// Pure translation: routes + endpoint lookups in, an immutable RoutingTable and each route's
// status out. No I/O, no clocks: the same input always yields the same table and statuses.

import { applyDefaults } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import { routeKey, type WebSocketRoute } from '../api/types.js';
import { validateRoute } from '../api/validate.js';
import { compileRouteSecurity, type SecurityCompileResult } from '../security/compile-security.js';
import { RoutingTable } from './table.js';
import { parseTemplate, templateShape, templateSpecificity } from './template.js';
import {
  makeEndpoint,
  type BackendResolution,
  type CompiledRoute,
  type ConditionResult,
  type Endpoint,
  type RouteStatusResult,
  type SecretResolver,
  type ServiceResolver,
} from './types.js';

export interface CompileInput {
  routes: readonly WebSocketRoute[];
  /** Resolves `backend.service`; absent in standalone mode, where only static endpoints exist. */
  resolveService?: ServiceResolver;
  /** Resolves Secrets routes reference (TLS, JWT keys, API keys, backend CA); absent: every reference is unresolved. */
  resolveSecret?: SecretResolver;
  /** Version stamped on the table; the caller increments it per swap. */
  version?: number;
}

export interface CompileOutput {
  table: RoutingTable;
  /** Keyed by "namespace/name", one per input route. */
  statuses: Map<string, RouteStatusResult>;
}

const UNKNOWN: ConditionResult = { status: 'Unknown', reason: 'NotEvaluated', message: 'the route was not accepted' };

export function compile(input: CompileInput): CompileOutput {
  const statuses = new Map<string, RouteStatusResult>();
  const candidates: Array<{ route: CompiledRoute; created: string; resolvedRefs: ConditionResult }> = [];

  const sorted = [...input.routes].sort((a, b) => compareKeys(routeKey(a), routeKey(b)));
  for (const raw of sorted) {
    const key = routeKey(raw);
    const generation = raw.metadata?.generation ?? 0;
    const problems = validateRoute(raw);
    if (problems.length > 0) {
      statuses.set(key, rejected(key, generation, 'Invalid', problems.map((p) => `${p.field}: ${p.reason}`).join('; ')));
      continue;
    }
    const resolution = resolveBackend(raw, input.resolveService);
    const security = compileRouteSecurity(applyDefaults(raw.spec), raw.metadata.namespace ?? 'default', input.resolveSecret);
    const route = buildRoute(raw, resolution.ok ? resolution.endpoints : [], security);
    const unresolved = [
      ...(resolution.ok ? [] : [{ reason: resolution.reason as string, message: resolution.message }]),
      ...security.problems,
    ];
    const resolvedRefs: ConditionResult =
      unresolved.length === 0
        ? { status: 'True', reason: 'ResolvedRefs', message: 'backend resolved' }
        : { status: 'False', reason: unresolved[0]!.reason, message: unresolved.map((u) => u.message).join('; ') };
    candidates.push({ route, created: raw.metadata.creationTimestamp ?? '', resolvedRefs });
  }

  const losers = findConflicts(candidates);
  const accepted: CompiledRoute[] = [];
  for (const c of candidates) {
    const lost = losers.get(c.route.key);
    if (lost) {
      statuses.set(c.route.key, rejected(c.route.key, c.route.generation, 'Conflict', lost));
      continue;
    }
    accepted.push(c.route);
    statuses.set(c.route.key, acceptedStatus(c.route, c.resolvedRefs));
  }
  accepted.sort(comparePrecedence);
  return { table: new RoutingTable(input.version ?? 0, accepted), statuses };
}

function resolveBackend(raw: WebSocketRoute, resolveService: ServiceResolver | undefined): BackendResolution {
  const backend = raw.spec.backend;
  if (backend.endpoints) {
    const seen = new Map<string, Endpoint>();
    for (const e of backend.endpoints) {
      const ep = makeEndpoint(e.host, e.port);
      seen.set(ep.id, ep);
    }
    return { ok: true, endpoints: [...seen.values()] };
  }
  const service = backend.service!;
  if (!resolveService) {
    return {
      ok: false,
      reason: 'BackendNotSupported',
      message: 'backend.service needs the Kubernetes controller; standalone mode supports backend.endpoints only',
    };
  }
  return resolveService(raw.metadata.namespace ?? 'default', service);
}

function buildRoute(raw: WebSocketRoute, endpoints: Endpoint[], security: SecurityCompileResult): CompiledRoute {
  const spec = applyDefaults(raw.spec);
  const timeouts = spec.timeouts;
  const cookie = spec.sessionAffinity?.cookie;
  return Object.freeze({
    key: routeKey(raw),
    namespace: raw.metadata.namespace ?? 'default',
    name: raw.metadata.name,
    generation: raw.metadata.generation ?? 0,
    hosts: [...new Set((spec.hosts ?? []).map((h) => h.toLowerCase()))].sort(),
    path: parseTemplate(spec.match.path),
    subprotocols: spec.match.subprotocols ?? [],
    headers: (spec.match.headers ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    backend: {
      scheme: spec.backend.scheme,
      path: parseTemplate(spec.backend.path),
      endpoints,
      eligible: endpoints.filter((e) => e.ready),
      ...(security.backendTls ? { tls: security.backendTls } : {}),
    },
    security: security.security,
    ...(security.tls ? { tls: security.tls } : {}),
    policy: spec.loadBalancer.policy,
    hashOn: spec.loadBalancer.hashOn,
    timeouts: {
      connectMs: parseDuration(timeouts.connect),
      idleMs: parseDuration(timeouts.idle),
      maxLifetimeMs: timeouts.maxLifetime === undefined ? 0 : parseDuration(timeouts.maxLifetime),
    },
    drainTimeoutMs: parseDuration(spec.drain.timeout),
    ...(spec.http ? { http: { methods: [...new Set(spec.http.methods)] } } : {}),
    ...(cookie
      ? {
          affinity: {
            name: cookie.name,
            path: cookie.path,
            sameSite: cookie.sameSite,
            secure: cookie.secure,
            ...(cookie.maxAge !== undefined ? { maxAgeSeconds: Math.floor(parseDuration(cookie.maxAge) / 1000) } : {}),
          },
        }
      : {}),
    spec,
  });
}

/**
 * Two routes conflict when, on a shared host (or both on any host), they have the same path
 * shape and the same extra match conditions: neither could ever be reached reliably. The older
 * route (then the lower namespace/name) keeps the match; the other is refused with a reason.
 */
function findConflicts(candidates: Array<{ route: CompiledRoute; created: string }>): Map<string, string> {
  const order = [...candidates].sort(
    (a, b) => compareKeys(a.created, b.created) || compareKeys(a.route.key, b.route.key),
  );
  const owners = new Map<string, CompiledRoute>();
  const losers = new Map<string, string>();
  for (const { route } of order) {
    const signatures = (route.hosts.length ? route.hosts : ['*']).map((host) => ({ host, sig: signature(host, route) }));
    const clash = signatures.find((s) => owners.has(s.sig));
    if (clash) {
      const owner = owners.get(clash.sig)!;
      losers.set(
        route.key,
        `conflicts with route ${owner.key}: same host "${clash.host}", path "${route.path.source}" and match conditions`,
      );
      continue;
    }
    for (const s of signatures) owners.set(s.sig, route);
  }
  return losers;
}

function signature(host: string, r: CompiledRoute): string {
  const headers = r.headers.map((h) => `${h.name}=${h.value}`).sort().join('&');
  const protocols = [...r.subprotocols].sort().join(',');
  return `${host} ${templateShape(r.path)} ${headers} ${protocols}`;
}

/** More specific path first, then more match conditions, then namespace/name. */
function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const sa = templateSpecificity(a.path);
  const sb = templateSpecificity(b.path);
  for (let i = 0; i < sa.length; i++) {
    if (sa[i] !== sb[i]) return sb[i]! - sa[i]!;
  }
  const ca = a.headers.length + (a.subprotocols.length ? 1 : 0);
  const cb = b.headers.length + (b.subprotocols.length ? 1 : 0);
  if (ca !== cb) return cb - ca;
  return compareKeys(a.key, b.key);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rejected(key: string, generation: number, reason: string, message: string): RouteStatusResult {
  return {
    key,
    generation,
    accepted: { status: 'False', reason, message },
    resolvedRefs: UNKNOWN,
    ready: { status: 'False', reason: 'NotAccepted', message: 'the route was not accepted' },
    backends: { ready: 0, total: 0 },
  };
}

function acceptedStatus(route: CompiledRoute, resolvedRefs: ConditionResult): RouteStatusResult {
  const ready = route.backend.eligible.length;
  const total = route.backend.endpoints.length;
  return {
    key: route.key,
    generation: route.generation,
    accepted: { status: 'True', reason: 'Accepted', message: 'the route is valid and serving' },
    resolvedRefs,
    ready:
      ready > 0 && resolvedRefs.status === 'True'
        ? { status: 'True', reason: 'EndpointsReady', message: `${ready} of ${total} endpoints ready` }
        : {
            status: 'False',
            reason: resolvedRefs.status === 'True' ? 'NoReadyEndpoints' : 'UnresolvedRefs',
            message: resolvedRefs.status === 'True' ? `0 of ${total} endpoints ready` : resolvedRefs.message,
          },
    backends: { ready, total },
  };
}
