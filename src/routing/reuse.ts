// What one compile keeps for the next, and the equality checks that decide reuse. A compile with
// a previous output must yield what a compile without one would (test/routing: incremental
// equals full); reuse only skips work whose inputs are unchanged:
//   - route objects are immutable, as the informer caches hold them (a change is a new object),
//     so the same object means the same validation, defaults, templates and conflict signature;
//   - a route's security is a pure function of its spec and the Secrets it looked up, so it is
//     kept when every lookup answers the same again;
//   - its endpoints are kept when the resolver answers with the same list (the memoizing
//     service resolver returns the very same array while a Service and its slices are unchanged).

import type { DefaultedSpec } from '../api/defaults.js';
import { routeKey, type WebSocketRoute } from '../api/types.js';
import type { SecurityCompileResult } from '../security/compile-security.js';
import type { ListenerEntry } from './gateway-listeners.js';
import type { GatewayEntryResult } from './httproute-processor.js';
import type { BackendResolution, CompiledRoute, ConditionResult, Endpoint, RouteStatusResult, SecretResolution, SecretResolver } from './types.js';

export interface SecretLookup {
  readonly namespace: string;
  readonly name: string;
  readonly result: SecretResolution;
}

/** One route as the last compile left it. Never changed once made: outputs may be reused twice. */
export type RouteEntry =
  | { readonly raw: WebSocketRoute; readonly invalid: RouteStatusResult }
  | ValidEntry;

export interface ValidEntry {
  readonly raw: WebSocketRoute;
  readonly invalid?: undefined;
  readonly spec: DefaultedSpec;
  readonly security: SecurityCompileResult;
  /** The Secret lookups the security compile made; null when there was no resolver at all. */
  readonly secretLookups: readonly SecretLookup[] | null;
  readonly resolution: BackendResolution;
  readonly route: CompiledRoute;
  readonly resolvedRefs: ConditionResult;
  /** The route's status when it is not a conflict loser. */
  readonly acceptedStatus: RouteStatusResult;
  readonly created: string;
  /** Conflict signatures, one per host (or "*"). */
  readonly signatures: ReadonlyArray<{ host: string; sig: string }>;
  /** Precedence sort key: template specificity, then the number of match conditions. */
  readonly rank: readonly number[];
}

/**
 * Why a valid route is refused: the Accepted=False reason and message. `kept`: not refused; the
 * message is added to its Accepted=True message (it won a conflict its owner should know of).
 */
export interface Refusal {
  readonly reason: string;
  readonly message: string;
  readonly kept?: true;
}

/** One compile's work, for the next: every array is the compile's own and never changed. */
export class CompileCache {
  private keyed: Map<string, RouteEntry> | undefined;
  /** The Gateway side's work; set by compile() before it returns the output holding this cache. */
  gateway: GatewayCache | undefined;

  constructor(
    /** The input routes, as given (a copy: callers may reuse their array). */
    readonly input: readonly WebSocketRoute[],
    /** The same routes by namespace/name. */
    readonly sorted: readonly WebSocketRoute[],
    /** One entry per element of `sorted`. */
    readonly list: readonly RouteEntry[],
    /** Refused valid routes (conflicts, hosts of another namespace): key -> why. */
    readonly losers: ReadonlyMap<string, Refusal>,
    /** Accepted routes in precedence order, as positions among the valid entries of `list`. */
    readonly order: readonly number[],
  ) {}

  /** Entries by route key, built when a compile needs them (the route set changed). */
  byKey(): ReadonlyMap<string, RouteEntry> {
    if (!this.keyed) {
      this.keyed = new Map();
      this.list.forEach((e, i) => this.keyed!.set(routeKey(this.sorted[i]!), e));
    }
    return this.keyed;
  }
}

/** True when looking the same Secrets up again answers as before (same data, or same failure). */
export function secretsUnchanged(lookups: readonly SecretLookup[] | null, resolve: SecretResolver | undefined): boolean {
  if (lookups === null || resolve === undefined) return lookups === null && resolve === undefined;
  return lookups.every((l) => sameSecret(l.result, resolve(l.namespace, l.name)));
}

function sameSecret(a: SecretResolution, b: SecretResolution): boolean {
  if (a === b) return true;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason && a.message === b.message;
  const ka = Object.keys(a.data);
  const kb = Object.keys(b.data);
  return ka.length === kb.length && ka.every((k) => b.data[k] !== undefined && a.data[k]!.equals(b.data[k]!));
}

export function sameResolution(a: BackendResolution, b: BackendResolution): boolean {
  if (a === b) return true;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason && a.message === b.message;
  return sameEndpoints(a.endpoints, b.endpoints);
}

export function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.id !== y.id || x.host !== y.host || x.port !== y.port || x.ready !== y.ready || x.terminating !== y.terminating) return false;
  }
  return true;
}

/** The same compiled route with other endpoints: every other field keeps its object. */
export function withEndpoints(route: CompiledRoute, endpoints: Endpoint[]): CompiledRoute {
  return Object.freeze({
    ...route,
    backend: { ...route.backend, endpoints, eligible: endpoints.filter((e) => e.ready) },
  });
}

/** Wraps a Secret resolver to record what it was asked and what it answered. */
export function recordingResolver(resolve: SecretResolver | undefined): { resolve: SecretResolver | undefined; lookups: SecretLookup[] | null } {
  if (!resolve) return { resolve: undefined, lookups: null };
  const lookups: SecretLookup[] = [];
  return {
    lookups,
    resolve: (namespace, name) => {
      const result = resolve(namespace, name);
      lookups.push({ namespace, name, result });
      return result;
    },
  };
}

/** The HTTPRoute processor's and the Gateway sockets' work, for the next compile. */
export class GatewayCache {
  constructor(
    /** Entry key -> compiled entry. */
    readonly entries: ReadonlyMap<string, GatewayEntryResult>,
    /** Socket key -> compiled listener. */
    readonly listeners: ReadonlyMap<string, ListenerEntry>,
  ) {}
}
