// What one compile keeps for the next: each WebSocketRoute's entry, the order and the conflict
// losers, and the Gateway side's compiled entries and sockets. The checks that decide whether an
// entry may be reused are in reuse.ts; the processors that fill these caches import neither this
// file nor compile.ts, so the caches may name their result types without a cycle.

import type { DefaultedSpec } from '../api/defaults.js';
import { routeKey, type WebSocketRoute } from '../api/types.js';
import type { SecurityCompileResult } from '../security/compile-security.js';
import type { ListenerEntry } from './gateway-listeners.js';
import type { GatewayEntryResult } from './httproute-processor.js';
import type { SecretLookup } from './reuse.js';
import type { BackendResolution, CompiledRoute, ConditionResult, RouteStatusResult } from './types.js';

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

/** The HTTPRoute processor's and the Gateway sockets' work, for the next compile. */
export class GatewayCache {
  constructor(
    /** Entry key -> compiled entry. */
    readonly entries: ReadonlyMap<string, GatewayEntryResult>,
    /** Socket key -> compiled listener. */
    readonly listeners: ReadonlyMap<string, ListenerEntry>,
  ) {}
}
