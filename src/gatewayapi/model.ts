// What the translator produces: an intermediate route model (plain data a compiler turns into
// routing-table entries) and the statuses of every object, as the Gateway API spec asks.

import type { Condition, HashOn, Policy, Scheme } from '../api/types.js';
import type { ClientValidation } from '../api/client-validation.js';
import type { TlsPolicy } from '../api/tls-policy.js';
import type {
  GatewayStatus,
  GatewayStatusAddress,
  ListenerSetStatus,
  PolicyAncestorStatus,
  RouteParentStatus,
  WebSocketBehaviourSpec,
} from './types.js';

/** Where a route entry came from. */
export interface RouteSource {
  readonly kind: 'HTTPRoute';
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly creationTimestamp: string;
  readonly ruleIndex: number;
  /** spec.rules[].name, when set (the policy sectionName of a rule). */
  readonly ruleName?: string;
  readonly matchIndex: number;
}

/** The Gateway listener an entry is served on. */
export interface ListenerRef {
  readonly gatewayNamespace: string;
  readonly gatewayName: string;
  readonly listenerName: string;
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** The listener's hostname, lower-cased ('' when it has none): requests pick the most specific one. */
  readonly hostname?: string;
}

export type PathMatch = { readonly type: 'Exact' | 'PathPrefix'; readonly value: string };

export interface HeaderModifier {
  /** Lower-cased names, in spec order. */
  readonly set: ReadonlyArray<{ name: string; value: string }>;
  readonly add: ReadonlyArray<{ name: string; value: string }>;
  readonly remove: readonly string[];
}

export type PathModifier =
  | { readonly type: 'ReplaceFullPath'; readonly value: string }
  | { readonly type: 'ReplacePrefixMatch'; readonly value: string };

/**
 * The CORS filter (HTTPRouteCORS), checked. wsgate answers preflights with it and adds its
 * headers to plain responses; WebSocket upgrades are left to the Origin check
 * (security.allowedOrigins), as browsers do no CORS for WebSockets.
 */
export interface CorsFilter {
  /** `*`, or origins in a browser's form (lower-case, no default port); the host may start with `*.`. */
  readonly allowOrigins: readonly string[];
  /** Methods as written, or `*` alone. */
  readonly allowMethods: readonly string[];
  /** Header names as written, or `*` alone. */
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  readonly maxAgeSeconds: number;
}

export interface RouteFilters {
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
  readonly urlRewrite?: { readonly hostname?: string; readonly path?: PathModifier };
  /** When set the entry answers with a redirect and sends nothing to its backends. */
  readonly redirect?: {
    readonly scheme?: 'http' | 'https';
    readonly hostname?: string;
    readonly path?: PathModifier;
    readonly port?: number;
    readonly statusCode: 301 | 302 | 303 | 307 | 308;
  };
  readonly cors?: CorsFilter;
  /**
   * RequestMirror filters: plain requests copied to these Services, fire-and-forget (their
   * answers are dropped, and they never hold up the primary); upgrades are not mirrored.
   */
  readonly mirrors?: readonly RequestMirror[];
}

export interface RequestMirror {
  readonly backend: ServiceBackend;
  /** The share of requests mirrored, 0 to 100 (percent or fraction; default 100). */
  readonly percent: number;
}

/**
 * HTTPRoute rules[].sessionPersistence, checked: served by wsgate's stateless affinity (an HMAC of
 * the endpoint every replica computes alike), carried in a cookie or a header.
 */
export interface SessionPersistence {
  readonly type: 'Cookie' | 'Header';
  /** The cookie's or the header's name. */
  readonly name: string;
  /** A session ends this long after the response that started it; absent: it does not end. */
  readonly absoluteTimeoutMs?: number;
  /** Cookie: Permanent gives it Max-Age (the absolute timeout); Session leaves it a browser-session cookie. */
  readonly lifetime: 'Permanent' | 'Session';
}

/**
 * HTTPRoute rules[].retry, checked and defaulted: a plain request is tried again when the backend
 * answers one of `codes`, its connection fails, or `timeouts.backendRequest` runs out.
 */
export interface RetryPolicy {
  /** Status codes (400-599) that are retried. */
  readonly codes: readonly number[];
  /** Retries after the first try (the spec's `attempts`). */
  readonly attempts: number;
  /** The least wait before each retry. */
  readonly backoffMs: number;
}

/** A backendRef that resolved to a Service port. */
export interface ServiceBackend {
  readonly valid: true;
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** The Service port's name, when it has one (EndpointSlice ports are matched by name). */
  readonly portName?: string;
  readonly weight: number;
  /** From the port's appProtocol (GEP-1911): kubernetes.io/wss and https mean wss; the others wsgate speaks ws. */
  readonly scheme: Scheme;
  readonly appProtocol?: string;
  /** appProtocol kubernetes.io/h2c: plain requests go over HTTP/2 with prior knowledge. */
  readonly protocol?: 'h2c';
  /** The BackendTLSPolicy on this Service port (then scheme is wss): how its certificate is verified. */
  readonly tls?: BackendTlsValidation;
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
}

/**
 * A BackendTLSPolicy's validation as the data plane applies it: `hostname` is the SNI and, without
 * `subjectAltNames`, the name the certificate must carry; with them, one of them must match
 * (GEP-1897). No `caCertificates`: the system CAs (wellKnownCACertificates: System). An invalid
 * policy (no usable CA) leaves `refused`: connections must fail, so requests get a 5xx and
 * nothing falls back to plaintext or to unverified TLS.
 */
export type BackendTlsValidation =
  | {
      readonly policy: string;
      readonly hostname: string;
      /** PEM bundle from the caCertificateRefs ConfigMaps' ca.crt; absent: the system CAs. */
      readonly caCertificates?: string;
      readonly subjectAltNames: ReadonlyArray<{ readonly type: 'Hostname' | 'URI'; readonly value: string }>;
      readonly refused?: undefined;
    }
  | { readonly policy: string; readonly refused: string };

/**
 * A backendRef that did not resolve: the spec asks that the share of requests it would have
 * received (its weight) gets a 500.
 */
export interface InvalidBackend {
  readonly valid: false;
  readonly weight: number;
  readonly reason: 'RefNotPermitted' | 'InvalidKind' | 'BackendNotFound' | 'UnsupportedProtocol';
  readonly message: string;
}

export type RouteBackend = ServiceBackend | InvalidBackend;

/** Where an entry's WebSocket behaviour came from. */
export type BehaviourSource =
  | { readonly kind: 'Default' }
  | {
      readonly kind: 'WebSocketPolicy';
      readonly namespace: string;
      readonly name: string;
      /** What the policy targets: the route (or one of its rules) or a backend Service (or one of its ports). */
      readonly target: 'HTTPRoute' | 'HTTPRouteRule' | 'Service' | 'ServicePort';
    };

/**
 * The WebSocket behaviour of an entry: the WebSocketRoute fields a WebSocketPolicy carries,
 * defaulted exactly as a WebSocketRoute's (src/api/defaults.ts), plus parsed durations.
 */
export interface WebSocketBehaviour {
  readonly spec: WebSocketBehaviourSpec;
  readonly policy: Policy;
  readonly hashOn?: HashOn;
  readonly timeoutsMs: { readonly connect: number; readonly idle: number; readonly upgrade: number; readonly maxLifetime: number };
  readonly drainTimeoutMs: number;
  /** Namespace in which the auth Secrets (security.auth.*.secretRef) are looked up: the policy's. */
  readonly secretNamespace: string;
  readonly source: BehaviourSource;
  /** Set when the rule's backends carry different Service policies: which ones lost. */
  readonly overridden?: readonly string[];
}

/** One routing-table entry: one match of one rule of one HTTPRoute, on one accepted listener. */
export interface GatewayRouteEntry {
  /**
   * `HTTPRoute/<ns>/<name>/rule-<i>/match-<j>@<gateway ns>/<gateway>/<listener>`: starts with the
   * kind and has more than two '/'-separated parts, so it never equals a WebSocketRoute key
   * (`<ns>/<name>`).
   */
  readonly key: string;
  /** `HTTPRoute/<ns>/<name>`: the object, for metrics and status. */
  readonly routeKey: string;
  /** `HTTPRoute/<ns>/<name>/rule-<i>`. */
  readonly ruleKey: string;
  readonly source: RouteSource;
  readonly listener: ListenerRef;
  /** Lower-cased; exact or `*.suffix`; empty means any host. */
  readonly hostnames: readonly string[];
  readonly path: PathMatch;
  /** Exact matches; lower-cased names. */
  readonly headers: ReadonlyArray<{ name: string; value: string }>;
  /** Exact matches; names as written (query names are case-sensitive). */
  readonly queryParams: ReadonlyArray<{ name: string; value: string }>;
  readonly method?: string;
  readonly filters: RouteFilters;
  /** In spec order. Empty with no redirect: every request gets a 500. */
  readonly backends: readonly RouteBackend[];
  readonly timeouts: { readonly requestMs?: number; readonly backendRequestMs?: number };
  /** The rule's sessionPersistence: when set it replaces the sessionAffinity of the WebSocket behaviour. */
  readonly sessionPersistence?: SessionPersistence;
  /** The rule's retry (experimental channel); absent: no retries beyond a refused connection's. */
  readonly retry?: RetryPolicy;
  readonly websocket: WebSocketBehaviour;
  /** The Gateway's spec.tls.backend.clientCertificateRef (a kubernetes.io/tls Secret): presented to TLS backends. */
  readonly backendClientCertificate?: { readonly namespace: string; readonly name: string };
  /**
   * Sort key in the spec's precedence order (compare element by element, smaller first):
   * Exact before PathPrefix, longer prefix first, method, more headers, more query params,
   * older route, namespace/name, rule index, match index.
   */
  readonly precedence: readonly (number | string)[];
}

/** A listener wsgate must serve: what a data plane opens ports and loads certificates for. */
export interface ProgrammedListener extends ListenerRef {
  readonly hostname?: string;
  /** HTTPS: the certificates, resolved and permitted, in spec order. */
  readonly certificates: ReadonlyArray<{ namespace: string; name: string }>;
  /** HTTPS: the listener's tls.options (wsgate.io/min-version...), already checked. */
  readonly tlsPolicy?: TlsPolicy;
  /** HTTPS: client certificate validation (the Gateway's spec.tls.frontend for this port). */
  readonly clientValidation?: ClientValidation;
}

export interface GatewayClassStatusResult {
  readonly name: string;
  readonly generation: number;
  readonly conditions: Condition[];
  readonly supportedFeatures: Array<{ name: string }>;
}

export interface GatewayStatusResult {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly status: GatewayStatus;
}

export interface ListenerSetStatusResult {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly status: ListenerSetStatus;
}

export interface HTTPRouteStatusResult {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  /** The full status.parents to write: other controllers' entries untouched, ours replaced. */
  readonly parents: RouteParentStatus[];
}

export interface PolicyStatusResult {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  /** The full status.ancestors to write: other controllers' entries untouched, ours replaced. */
  readonly ancestors: PolicyAncestorStatus[];
}

export interface TranslateOutput {
  /** Every entry, sorted by `precedence`. */
  readonly routes: readonly GatewayRouteEntry[];
  readonly listeners: readonly ProgrammedListener[];
  /** Keyed by name; only classes with wsgate's controllerName. */
  readonly gatewayClasses: Map<string, GatewayClassStatusResult>;
  /** Keyed by "ns/name"; only Gateways of an accepted wsgate class. */
  readonly gateways: Map<string, GatewayStatusResult>;
  /** Keyed by "ns/name"; only ListenerSets whose parent is one of those Gateways. */
  readonly listenerSets: Map<string, ListenerSetStatusResult>;
  /** Keyed by "ns/name"; routes with a parentRef to one of our Gateways or an entry of ours to remove. */
  readonly httpRoutes: Map<string, HTTPRouteStatusResult>;
  /** Keyed by "ns/name"; every WebSocketPolicy. */
  readonly policies: Map<string, PolicyStatusResult>;
  /** Keyed by "ns/name"; every BackendTLSPolicy. */
  readonly backendTLSPolicies: Map<string, PolicyStatusResult>;
}

export type { GatewayStatusAddress };
