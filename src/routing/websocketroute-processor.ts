// The WebSocketRoute processor: WebSocketRoute objects in, their compiled routes in precedence
// order and their statuses out, reusing the previous compile's work where its inputs are
// unchanged (reuse.ts). One of compile.ts's processors.

import { compileMessages } from './compile-messages.js';
import { applyDefaults, type DefaultedSpec } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import { routeKey, type HostOwnership, type WebSocketRoute } from '../api/types.js';
import { HOST_OWNED_REASON, hostOwnershipLosers } from './host-ownership.js';
import { CERTIFICATE_CONFLICT_REASON, tlsHostConflicts } from './tls-host-conflicts.js';
import { validateRoute } from '../api/validate.js';
import { compareStrings } from '../api/string-order.js';
import { compileRouteSecurity, type SecurityCompileResult } from '../security/compile-security.js';
import { compileAffinity } from './behaviour.js';
import { compareRank, rank, signatures } from './precedence.js';
import { CompileCache, type Refusal, type RouteEntry, type ValidEntry } from './compile-cache.js';
import { recordingResolver, sameEndpoints, sameResolution, secretsUnchanged, withEndpoints, type SecretLookup } from './reuse.js';
import { parseTemplate } from './template.js';
import { retryPolicyOf } from '../gatewayapi/route-retry.js';
import {
  makeEndpoint,
  type BackendResolution,
  type CompiledRoute,
  type CompileInput,
  type ConditionResult,
  type Endpoint,
  type RouteStatusResult,
  type ServiceResolver,
} from './types.js';

const UNKNOWN: ConditionResult = { status: 'Unknown', reason: 'NotEvaluated', message: 'the route was not accepted' };

export interface WebSocketRouteResult {
  /** Keyed by "namespace/name", one per input route. */
  readonly statuses: Map<string, RouteStatusResult>;
  /** Accepted routes (no conflict among WebSocketRoutes) in precedence order: rank, then namespace/name. */
  readonly accepted: readonly ValidEntry[];
  readonly cache: CompileCache;
}

/**
 * With `cache` (the last compile's), work whose inputs did not change is reused instead of
 * redone — an EndpointSlice change rebuilds only the routes of its Service — and the result is
 * the same as without it.
 */
export function processWebSocketRoutes(input: CompileInput, cache: CompileCache | undefined): WebSocketRouteResult {
  // The same route objects in the same order as last time (an EndpointSlice or Secret change):
  // the key order, the conflicts and the precedence order depend on the route objects alone,
  // so they are taken over, and each route's last entry is at the same position.
  const sameRoutes = cache !== undefined && sameObjects(cache.input, input.routes);
  const sorted = sameRoutes ? cache.sorted : sortByKey(input.routes);
  const byKey = sameRoutes ? undefined : cache?.byKey();
  const list: RouteEntry[] = [];
  const statuses = new Map<string, RouteStatusResult>();
  const candidates: ValidEntry[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const raw = sorted[i]!;
    const entry = compileRoute(raw, input, sameRoutes ? cache.list[i] : byKey?.get(routeKey(raw)));
    list.push(entry);
    if (entry.invalid) statuses.set(entry.invalid.key, entry.invalid);
    else candidates.push(entry);
  }

  // The losers depend on the route objects alone (and the process-wide ownership mode).
  const losers = sameRoutes ? cache.losers : findLosers(candidates, input.hostOwnership ?? 'shared');
  const acceptedAt: number[] = [];
  candidates.forEach((c, i) => {
    const lost = losers.get(c.route.key);
    if (lost && !lost.kept) {
      statuses.set(c.route.key, rejected(c.route.key, c.route.generation, lost.reason, lost.message));
      return;
    }
    acceptedAt.push(i);
    statuses.set(c.route.key, lost ? withNote(c.acceptedStatus, lost.message) : c.acceptedStatus);
  });
  const order = sameRoutes ? cache.order : acceptedAt.sort((a, b) => comparePrecedence(candidates[a]!, candidates[b]!));
  return {
    statuses,
    accepted: order.map((i) => candidates[i]!),
    cache: new CompileCache([...input.routes], sorted, list, losers, order),
  };
}

function sortByKey(routes: readonly WebSocketRoute[]): WebSocketRoute[] {
  return routes
    .map((raw) => ({ raw, key: routeKey(raw) }))
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((k) => k.raw);
}

function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One route, reusing what `prev` (the same key, last compile) computed from the same inputs. */
function compileRoute(raw: WebSocketRoute, input: CompileInput, prev: RouteEntry | undefined): RouteEntry {
  const same = prev !== undefined && prev.raw === raw ? prev : undefined;
  if (same?.invalid) return same;
  const key = routeKey(raw);
  const generation = raw.metadata?.generation ?? 0;
  if (!same) {
    const problems = validateRoute(raw);
    if (problems.length > 0) {
      return { raw, invalid: rejected(key, generation, 'Invalid', problems.map((p) => `${p.field}: ${p.reason}`).join('; ')) };
    }
  }
  const namespace = raw.metadata.namespace ?? 'default';
  const spec = same ? same.spec : applyDefaults(raw.spec);

  let security: SecurityCompileResult;
  let secretLookups: readonly SecretLookup[] | null;
  if (same && secretsUnchanged(same.secretLookups, input.resolveSecret)) {
    ({ security, secretLookups } = same);
  } else {
    const recorder = recordingResolver(input.resolveSecret);
    security = compileRouteSecurity(spec, namespace, recorder.resolve);
    secretLookups = recorder.lookups;
  }

  // Static endpoints come from the route object itself.
  const fresh = same && raw.spec.backend.endpoints ? same.resolution : resolveBackend(raw, input.resolveService);
  const resolution = same && sameResolution(same.resolution, fresh) ? same.resolution : fresh;
  const endpoints = resolution.ok ? resolution.endpoints : [];

  let route: CompiledRoute;
  if (same && same.security === security) {
    const kept = same.route.backend.endpoints;
    route = kept === endpoints || sameEndpoints(kept, endpoints) ? same.route : withEndpoints(same.route, endpoints);
  } else {
    route = buildRoute(raw, spec, endpoints, security);
  }
  if (same && same.route === route && same.resolution === resolution) return same;

  const unresolved = [
    ...(resolution.ok ? [] : [{ reason: resolution.reason as string, message: resolution.message }]),
    ...security.problems,
  ];
  const resolvedRefs: ConditionResult =
    unresolved.length === 0
      ? { status: 'True', reason: 'ResolvedRefs', message: 'backend resolved' }
      : { status: 'False', reason: unresolved[0]!.reason, message: unresolved.map((u) => u.message).join('; ') };
  return {
    raw,
    spec,
    security,
    secretLookups,
    resolution,
    route,
    resolvedRefs,
    acceptedStatus: acceptedStatus(route, resolvedRefs),
    created: raw.metadata.creationTimestamp ?? '',
    signatures: same ? same.signatures : signatures(route),
    rank: same ? same.rank : rank(route),
  };
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

/** @param spec the route's spec with defaults applied (kept in the route as `spec`). */
function buildRoute(raw: WebSocketRoute, spec: DefaultedSpec, endpoints: Endpoint[], security: SecurityCompileResult): CompiledRoute {
  const timeouts = spec.timeouts;
  const affinity = compileAffinity(spec);
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
      ...(spec.backend.protocol === 'h2c' ? { protocol: 'h2c' as const } : {}),
    },
    security: security.security,
    ...(security.tls ? { tls: security.tls } : {}),
    policy: spec.loadBalancer.policy,
    hashOn: spec.loadBalancer.hashOn,
    timeouts: {
      connectMs: parseDuration(timeouts.connect),
      idleMs: parseDuration(timeouts.idle),
      upgradeMs: parseDuration(timeouts.upgrade),
      maxLifetimeMs: timeouts.maxLifetime === undefined ? 0 : parseDuration(timeouts.maxLifetime),
    },
    drainTimeoutMs: parseDuration(spec.drain.timeout),
    ...(spec.http ? { http: { methods: [...new Set(spec.http.methods)], ...(spec.http.retry ? { retry: retryPolicyOf(spec.http.retry) } : {}) } } : {}),
    ...(affinity ? { affinity } : {}),
    ...compileMessages(spec),
    spec,
  });
}

/**
 * Two routes conflict when, on a shared host (or both on any host), they have the same path
 * shape and the same extra match conditions: neither could ever be reached reliably. The older
 * route (then the lower namespace/name) keeps the match; the other is refused with a reason.
 */
/** Routes refused for their host's owner first (they claim nothing), then path conflicts among the rest. */
function findLosers(candidates: readonly ValidEntry[], ownership: HostOwnership): Map<string, Refusal> {
  const losers = new Map<string, Refusal>();
  const foreign = hostOwnershipLosers(candidates, ownership);
  for (const [key, message] of foreign) losers.set(key, { reason: HOST_OWNED_REASON, message });
  const rest = foreign.size ? candidates.filter((c) => !foreign.has(c.route.key)) : candidates;
  for (const [key, message] of findConflicts(rest)) losers.set(key, { reason: 'Conflict', message });
  const tls = tlsHostConflicts(losers.size ? rest.filter((c) => !losers.has(c.route.key)) : rest);
  for (const [key, message] of tls.refused) losers.set(key, { reason: CERTIFICATE_CONFLICT_REASON, message });
  for (const [key, message] of tls.kept) losers.set(key, { reason: CERTIFICATE_CONFLICT_REASON, message, kept: true });
  return losers;
}

/** An accepted route's status with a conflict it won added to its Accepted message. */
function withNote(status: RouteStatusResult, note: string): RouteStatusResult {
  return { ...status, accepted: { ...status.accepted, message: `${status.accepted.message}; ${note}` } };
}

function findConflicts(candidates: readonly ValidEntry[]): Map<string, string> {
  const order = [...candidates].sort(
    (a, b) => compareStrings(a.created, b.created) || compareStrings(a.route.key, b.route.key),
  );
  const owners = new Map<string, CompiledRoute>();
  const losers = new Map<string, string>();
  for (const { route, signatures } of order) {
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

/** By rank, then namespace/name. */
function comparePrecedence(a: ValidEntry, b: ValidEntry): number {
  return compareRank(a.rank, b.rank) || compareStrings(a.route.key, b.route.key);
}

export function rejected(key: string, generation: number, reason: string, message: string): RouteStatusResult {
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
