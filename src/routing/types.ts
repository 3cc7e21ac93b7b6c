import type { CookieSecure, HashOn, HostOwnership, HttpMethod, OnRateExceeded, Policy, SameSite, WebSocketRoute, WebSocketRouteSpec } from '../api/types.js';
import type { CompiledSecurity, CompiledTls, SecretResolver } from '../security/types.js';
import type { BackendTarget, Endpoint } from './endpoint.js';
import type { GatewayCompileInput, GatewayRouting, RetryPolicy, RouteKind } from './gateway-types.js';
import type { ParsedTemplate } from './template.js';

export { endpointId, makeEndpoint, type BackendTarget, type Endpoint } from './endpoint.js';

/** What the backend reference of a route resolved to. */
export type BackendResolution =
  | { ok: true; endpoints: Endpoint[] }
  | { ok: false; reason: 'ServiceNotFound' | 'PortNotFound' | 'BackendNotSupported'; message: string };

/** Resolves a route's `backend.service` against the cluster state (pure lookup over a store). */
export type ServiceResolver = (namespace: string, service: { name: string; port: number | string }) => BackendResolution;

export type { SecretResolution, SecretResolver } from '../security/types.js';

export interface CompiledAffinity {
  readonly name: string;
  readonly path: string;
  readonly sameSite: SameSite;
  readonly secure: CookieSecure;
  /** Absent: a session cookie. */
  readonly maxAgeSeconds?: number;
  /** Where the value travels: the cookie `name` (WebSocketRoutes, policies) or the header `name` (an HTTPRoute's Header sessionPersistence). */
  readonly carrier: 'cookie' | 'header';
  /** Values end this long after they are issued (HTTPRoute sessionPersistence.absoluteTimeout); absent: never. */
  readonly absoluteTimeoutSeconds?: number;
}

/** A token bucket: `perSecond` refill, at most `burst` tokens. */
export interface CompiledRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** spec.messages, in bytes; 0 = no size limit. */
export interface CompiledMessages {
  readonly maxBytes: number;
  readonly maxBytesFromBackend: number;
  /** Client messages per connection. */
  readonly rate?: CompiledRate;
  /** Client bytes (on the wire) per connection. */
  readonly byteRate?: CompiledRate;
  readonly onRateExceeded: OnRateExceeded;
}

export interface CompiledKeepalive {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
}

export interface CompiledRoute {
  /** WebSocketRoute: "namespace/name"; HTTPRoute entries: GatewayRouteEntry.key (starts with the kind). */
  readonly key: string;
  /** Absent on hand-built routes: WebSocketRoute. */
  readonly kind?: RouteKind;
  /** The data-plane socket this route is served on (gateway-types.ts); absent: MAIN_LISTENER. */
  readonly listener?: string;
  /** Exact query parameter matches (names case-sensitive); absent: none. */
  readonly queryParams?: ReadonlyArray<{ name: string; value: string }>;
  /** Only this request method matches (an upgrade is a GET); absent: any. */
  readonly method?: string;
  /**
   * HTTPRoute entries: the hostname of the Gateway listener the entry is attached to ('' none).
   * A request is served only by the entries of the most specific listener hostname of its
   * socket that matches its host (Gateway API listener isolation).
   */
  readonly listenerHostname?: string;
  /** HTTPRoute entries: weights, filters, redirect, timeouts. */
  readonly gateway?: GatewayRouting;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  /** Lower-cased; empty means any host. */
  readonly hosts: readonly string[];
  readonly path: ParsedTemplate;
  readonly subprotocols: readonly string[];
  /** Lower-cased names, exact values. */
  readonly headers: ReadonlyArray<{ name: string; value: string }>;
  /** The endpoints and, in `path`, the downstream path template. */
  readonly backend: BackendTarget & { readonly path: ParsedTemplate };
  /** Origin, authentication, limits and header rules (absent only for hand-built routes). */
  readonly security?: CompiledSecurity;
  /** The route's certificate on the TLS listener, when spec.tls is set and resolved. */
  readonly tls?: CompiledTls;
  readonly policy: Policy;
  readonly hashOn: HashOn | undefined;
  /** upgradeMs: how long the backend may take to answer the upgrade request (then 504). */
  readonly timeouts: { readonly connectMs: number; readonly idleMs: number; readonly upgradeMs: number; readonly maxLifetimeMs: number };
  readonly drainTimeoutMs: number;
  /** Plain (non-upgrade) methods proxied on this route; absent: plain requests get 426. */
  /** Plain HTTP beside the upgrade: its methods, and the retry of spec.http.retry (defaulted). */
  readonly http?: { readonly methods: readonly HttpMethod[]; readonly retry?: RetryPolicy };
  readonly affinity?: CompiledAffinity;
  /** Message limits; absent: none (the proxy then follows frames exactly as without them). */
  readonly messages?: CompiledMessages;
  /** Proxy pings; absent: none. */
  readonly keepalive?: CompiledKeepalive;
  readonly spec: WebSocketRouteSpec;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionResult {
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/** Status computed while compiling, written to the API server by the leader only. */
export interface RouteStatusResult {
  readonly key: string;
  readonly generation: number;
  readonly accepted: ConditionResult;
  readonly resolvedRefs: ConditionResult;
  readonly ready: ConditionResult;
  readonly backends: { readonly ready: number; readonly total: number };
}

/** What compile() (compile.ts) takes: the routes and the resolvers their references need. */
export interface CompileInput {
  routes: readonly WebSocketRoute[];
  /** Resolves `backend.service`; absent in standalone mode, where only static endpoints exist. */
  resolveService?: ServiceResolver;
  /** Resolves Secrets routes reference (TLS, JWT keys, API keys, backend CA); absent: every reference is unresolved. */
  resolveSecret?: SecretResolver;
  /** Version stamped on the table; the caller increments it per swap. */
  version?: number;
  /** The Gateway API side: translated HTTPRoute entries and the sockets they are served on. */
  gateway?: GatewayCompileInput;
  /** --host-ownership (host-ownership.ts); absent: shared. */
  hostOwnership?: HostOwnership;
}

/** What the proxy knows about an upgrade request when it looks up a route. */
export interface RouteRequest {
  /** Host header without port, lower-cased, without a trailing dot (request-target.ts). */
  host: string;
  /** The normalised path (request-target.ts), without the query string. */
  path: string;
  /** Request method, upper-case as sent. */
  method?: string;
  /** Raw query string without the '?' ('' when none). */
  query?: string;
  /** Key of the socket the request arrived on (gateway-types.ts); absent: MAIN_LISTENER. */
  listener?: string;
  /** Set by RoutingTable.lookup: the most specific Gateway listener hostname of the socket matching `host`. */
  listenerHostname?: string;
  /** Offered subprotocols (Sec-WebSocket-Protocol), in order. */
  subprotocols: readonly string[];
  /** Lower-cased header name -> value (as node gives them). */
  header(name: string): string | undefined;
}
