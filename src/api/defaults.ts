// The defaults the apiserver applies from the CRD (`default:` values, with `default: {}` on
// loadBalancer, timeouts and drain so their fields default even when the block is absent),
// plus one the schema cannot state: backend.path falls back to match.path, i.e. the request
// path is passed through unchanged. test/api/defaults.test.ts checks this against the CRD.

import type { ClientValidationMode } from './client-validation.js';
import type { AffinityCookie, BackendProtocol, CookieSecure, HostOwnership, OnRateExceeded, Policy, RouteClientValidation, SameSite, Scheme, WebSocketRouteSpec } from './types.js';

export const DEFAULT_POLICY: Policy = 'LeastConnections';
/** --host-ownership of the command line: today's behaviour; the chart sets namespace. */
export const DEFAULT_HOST_OWNERSHIP: HostOwnership = 'shared';
/** The route class of an install started without --class (chart controller.className). */
export const DEFAULT_CLASS_NAME = 'wsgate';
/**
 * --client-ipv6-prefix: IPv6 clients in one /64 count as one client for per-client limits and
 * sourceIP hashing (a host is usually given a whole /64, and can pick any address in it).
 */
export const DEFAULT_CLIENT_IPV6_PREFIX = 64;
export const DEFAULT_SCHEME: Scheme = 'ws';
export const DEFAULT_BACKEND_PROTOCOL: BackendProtocol = 'http/1.1';
export const DEFAULT_CONNECT_TIMEOUT = '5s';
export const DEFAULT_IDLE_TIMEOUT = '1h';
/** How long a backend may take to answer the upgrade request (its 101 or any other status). */
export const DEFAULT_UPGRADE_TIMEOUT = '10s';
export const DEFAULT_DRAIN_TIMEOUT = '30s';
export const DEFAULT_JWT_CLOCK_SKEW = '30s';
export const DEFAULT_JWT_REQUIRE_EXPIRATION = false;
export const DEFAULT_API_KEY_HEADER = 'x-api-key';
/** Oldest TLS version wsgate speaks, to clients and to wss backends. */
export const MIN_TLS_VERSION = 'TLSv1.2';
/** ALPN protocols the TLS listeners offer, preferred first (--tls-alpn, --no-http2, tls.options wsgate.io/alpn). */
export const DEFAULT_ALPN: readonly ['h2', 'http/1.1'] = ['h2', 'http/1.1'];
export const DEFAULT_AFFINITY_COOKIE_NAME = 'wsgate-affinity';
export const DEFAULT_AFFINITY_COOKIE_PATH = '/';
export const DEFAULT_AFFINITY_SAME_SITE: SameSite = 'Lax';
export const DEFAULT_AFFINITY_SECURE: CookieSecure = 'auto';
/**
 * --affinity-key-grace: how long affinity cookies signed with the previous key stay valid after
 * the key changed (a rotated Secret or key file); a client using one meanwhile gets a new cookie.
 */
export const DEFAULT_AFFINITY_KEY_GRACE = '1h';
/** WebSocketRoute spec.tls.clientValidation.mode. */
export const DEFAULT_CLIENT_VALIDATION_MODE: ClientValidationMode = 'AllowValidOnly';
export const DEFAULT_ON_RATE_EXCEEDED: OnRateExceeded = 'Throttle';
export const DEFAULT_PONG_TIMEOUT = '10s';
// spec.rebalance's fields, used by the rebalance planner (balancer/rebalance.ts) when the block
// is present without them. Not CRD defaults: the schema states none, so applyDefaults (which
// mirrors the CRD) leaves them unset and the planner applies these.
/** How far above its fair share an endpoint may be (0.2 = 20%) before it sheds connections. */
export const DEFAULT_REBALANCE_TOLERANCE = 0.2;
/** Closes a route's rebalancing may spend a second (the pass runs once a second). */
export const DEFAULT_REBALANCE_MAX_CLOSES_PER_SECOND = 5;

// Request path normalisation: process-wide, not per route, because it runs before a route is
// known (as Envoy's listener-level normalize_path / merge_slashes). The flags --path-* default
// to these; src/routing/request-target.ts applies them.
/** "//" runs in a path become one "/" (--no-path-merge-slashes keeps them). */
export const DEFAULT_PATH_MERGE_SLASHES = true;
/** %2F and %5C in a path: 'reject' (400) or 'keep' (forwarded encoded, one segment for matching). */
export const DEFAULT_PATH_ESCAPED_SLASHES: 'reject' | 'keep' = 'reject';
/** ";" (and %3B) in a path: 'reject' (400) or 'keep'. Servlet containers cut ";params" from segments. */
export const DEFAULT_PATH_SEMICOLONS: 'reject' | 'keep' = 'reject';
/**
 * --max-header-size: the largest request head (request line and headers) the proxy listeners
 * accept, in bytes; a larger one is answered 431. Node's own default, stated here so the flag,
 * a proxy built without the flag (tests, benchmarks) and the docs say the same number.
 */
export const DEFAULT_MAX_HEADER_SIZE = 16384;

/** --handshake-timeout: a connection must finish TLS and send its complete request head (h2: open its first stream) within this. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * HTTPRoute CORS filter maxAge (Access-Control-Max-Age, seconds): the Gateway API CRD's default,
 * for a filter that reaches the translator without the apiserver's defaulting.
 */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 5;
/** HTTPRoute sessionPersistence of type Header without sessionName: the header that carries the session. */
export const DEFAULT_SESSION_HEADER_NAME = 'wsgate-session';
/**
 * HTTPRoute rules[].retry (experimental channel, src/gatewayapi/route-retry.ts): the spec leaves
 * the count and the wait to the implementation when `attempts` or `backoff` is unset. One retry
 * after 25ms, as Envoy's route retry policy does by default.
 */
export const DEFAULT_RETRY_ATTEMPTS = 1;
export const DEFAULT_RETRY_BACKOFF_MS = 25;
/**
 * The largest request body a retried plain request may have (bytes, by its Content-Length): such
 * a body is read whole before the first try so every try sends it byte for byte. A larger or a
 * chunked body streams to one try and is not retried (docs/gateway-api.md).
 */
export const RETRY_BODY_CAP_BYTES = 64 * 1024;

// The HTTP/2 edge (src/proxy/h2-server.ts, docs/http2.md): what one client connection may cost.
/** Streams a client may have open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
export const DEFAULT_H2_MAX_CONCURRENT_STREAMS = 100;
/** Header fields in one request's header list (beyond: the stream is refused). */
export const DEFAULT_H2_MAX_HEADER_PAIRS = 128;
/** Protocol errors (invalid frames, empty DATA floods) a connection may make before it is closed. */
export const DEFAULT_H2_MAX_INVALID_FRAMES = 100;
/** Streams a connection may have refused (over the concurrency limit) before it is closed. */
export const DEFAULT_H2_MAX_REJECTED_STREAMS = 100;
/** RST_STREAM frames a client may send in a burst, and per second after it (rapid reset, CVE-2023-44487). */
export const DEFAULT_H2_RESET_BURST = 200;
export const DEFAULT_H2_RESET_RATE = 33;
/** Entries in one SETTINGS frame; PINGs awaiting their ACK; memory of one session in MiB (nghttp2 buffers, HPACK tables). */
export const DEFAULT_H2_MAX_SETTINGS = 32;
export const DEFAULT_H2_MAX_OUTSTANDING_PINGS = 10;
export const DEFAULT_H2_MAX_SESSION_MEMORY_MIB = 10;

/** A spec after applyDefaults: the fields with a default are always present. */
export type DefaultedSpec = WebSocketRouteSpec & {
  backend: WebSocketRouteSpec['backend'] & { scheme: Scheme; protocol: BackendProtocol; path: string };
  loadBalancer: NonNullable<WebSocketRouteSpec['loadBalancer']> & { policy: Policy };
  timeouts: NonNullable<WebSocketRouteSpec['timeouts']> & { connect: string; idle: string; upgrade: string };
  drain: NonNullable<WebSocketRouteSpec['drain']> & { timeout: string };
  sessionAffinity?: { cookie: Required<Omit<AffinityCookie, 'maxAge'>> & Pick<AffinityCookie, 'maxAge'> };
  messages?: NonNullable<WebSocketRouteSpec['messages']> & { onRateExceeded: OnRateExceeded };
  tls?: NonNullable<WebSocketRouteSpec['tls']> & { clientValidation?: RouteClientValidation & { mode: ClientValidationMode } };
  keepalive?: Required<NonNullable<WebSocketRouteSpec['keepalive']>>;
};

/**
 * Burst of a token bucket left unset (message and byte rates, and the per-client upgrade rate):
 * one second's worth, at least one. Not a CRD default because it depends on perSecond.
 */
export function defaultBurst(perSecond: number): number {
  return Math.max(1, Math.ceil(perSecond));
}

/** A defaulted deep copy; `spec` is left untouched. */
export function applyDefaults(spec: WebSocketRouteSpec): DefaultedSpec {
  const out = structuredClone(spec);
  const backend = { ...out.backend, scheme: out.backend.scheme ?? DEFAULT_SCHEME, protocol: out.backend.protocol ?? DEFAULT_BACKEND_PROTOCOL, path: out.backend.path ?? out.match.path };
  const loadBalancer = { ...out.loadBalancer, policy: out.loadBalancer?.policy ?? DEFAULT_POLICY };
  const timeouts = {
    ...out.timeouts,
    connect: out.timeouts?.connect ?? DEFAULT_CONNECT_TIMEOUT,
    idle: out.timeouts?.idle ?? DEFAULT_IDLE_TIMEOUT,
    upgrade: out.timeouts?.upgrade ?? DEFAULT_UPGRADE_TIMEOUT,
  };
  const drain = { ...out.drain, timeout: out.drain?.timeout ?? DEFAULT_DRAIN_TIMEOUT };
  const { sessionAffinity: _affinity, messages: _messages, keepalive: _keepalive, tls: _tls, ...rest } = out;
  const result: DefaultedSpec = { ...rest, backend, loadBalancer, timeouts, drain };
  // Only a present security block gets allowMissingOrigin, as in the CRD (no `default: {}` there).
  if (out.security) {
    const security = { ...out.security, allowMissingOrigin: out.security.allowMissingOrigin ?? true };
    const auth = security.auth;
    if (auth) {
      security.auth = { ...auth };
      if (auth.jwt) {
        security.auth.jwt = {
          ...auth.jwt,
          clockSkew: auth.jwt.clockSkew ?? DEFAULT_JWT_CLOCK_SKEW,
          requireExpiration: auth.jwt.requireExpiration ?? DEFAULT_JWT_REQUIRE_EXPIRATION,
        };
      }
      if (auth.apiKeys) security.auth.apiKeys = { ...auth.apiKeys, header: auth.apiKeys.header ?? DEFAULT_API_KEY_HEADER };
    }
    result.security = security;
  }
  // Only present blocks get their defaults, as in the CRD (no `default: {}` on them).
  if (out.tls) {
    const { clientValidation: cv, ...tls } = out.tls;
    result.tls = cv ? { ...tls, clientValidation: { ...cv, mode: cv.mode ?? DEFAULT_CLIENT_VALIDATION_MODE } } : tls;
  }
  if (out.messages) result.messages = { ...out.messages, onRateExceeded: out.messages.onRateExceeded ?? DEFAULT_ON_RATE_EXCEEDED };
  if (out.keepalive) result.keepalive = { ...out.keepalive, pongTimeout: out.keepalive.pongTimeout ?? DEFAULT_PONG_TIMEOUT };
  if (out.sessionAffinity) {
    const c = out.sessionAffinity.cookie ?? {};
    result.sessionAffinity = {
      cookie: {
        ...c,
        name: c.name ?? DEFAULT_AFFINITY_COOKIE_NAME,
        path: c.path ?? DEFAULT_AFFINITY_COOKIE_PATH,
        sameSite: c.sameSite ?? DEFAULT_AFFINITY_SAME_SITE,
        secure: c.secure ?? DEFAULT_AFFINITY_SECURE,
      },
    };
  }
  return result;
}
