// The contract between the Gateway API side (controller + src/gatewayapi translator), the
// compiler's HTTPRoute processor and the data plane. Types only.
//
// Data-plane sockets ("listeners") have a key. WebSocketRoutes are served on the main socket(s)
// of --listen / --tls-listen, key MAIN_LISTENER. Each Gateway listener port is served on a
// socket chosen by the controller (GatewayCompileInput.socketOf): with one address per Gateway
// (--gateway-address-pool) every Gateway port gets its own socket (listener isolation); with
// shared addresses every Gateway on a port shares one socket; a Gateway port equal to the main
// port maps to MAIN_LISTENER. A request only matches routes whose `listener` is its socket's key.

import type { ClientValidation } from '../api/client-validation.js';
import type { TlsPolicy } from '../api/tls-policy.js';
import type { GatewayRouteEntry, HeaderModifier, PathMatch, PathModifier, RetryPolicy, RouteFilters } from '../gatewayapi/model.js';
import type { CompiledTls } from '../security/types.js';
import type { CompiledCors } from './cors.js';
import type { BackendTarget } from './endpoint.js';

/** HTTPRoute rules[].retry as the data plane reads it. */
export type { RetryPolicy };

export type { HeaderModifier, PathMatch, PathModifier };

export const MAIN_LISTENER = 'main';

export type RouteKind = 'WebSocketRoute' | 'HTTPRoute';

/** `<gateway namespace>/<gateway name>:<port>`: a Gateway's port, the unit sockets are assigned to. */
export function gatewayPortId(gatewayNamespace: string, gatewayName: string, port: number): string {
  return `${gatewayNamespace}/${gatewayName}:${port}`;
}

/** A socket the controller asks the data plane to serve for Gateway listeners. */
export interface GatewaySocketInput {
  readonly key: string;
  /** Bind address ('0.0.0.0' / '::' for shared addresses, the Gateway's own address otherwise). */
  readonly address: string;
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** HTTPS: certificate Secrets (resolved and permitted by the translator), with the listener hostname they serve ('' or absent: any). */
  readonly certificates: ReadonlyArray<{ readonly namespace: string; readonly name: string; readonly hostname?: string }>;
  /** HTTPS: the listener's tls.options (wsgate.io/min-version...), checked by the translator. */
  readonly tlsPolicy?: TlsPolicy;
  /** HTTPS: client certificates asked for and verified against this CA bundle (Gateway spec.tls.frontend). */
  readonly clientValidation?: ClientValidation;
}

/** What the controller passes to compile() beside the WebSocketRoutes. Plain data (structured-clonable for worker threads). */
export interface GatewayCompileInput {
  /** translate().routes, in precedence order. */
  readonly entries: readonly GatewayRouteEntry[];
  /** Sockets other than the main one. */
  readonly sockets: readonly GatewaySocketInput[];
  /** gatewayPortId(...) of an entry's listener -> socket key (MAIN_LISTENER allowed). */
  readonly socketOf: Readonly<Record<string, string>>;
}

/** A socket in the compiled table: what the data plane opens (and closes when it disappears). */
export interface TableListener {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  /** HTTPS: by SNI hostname ('' = default / any); resolved from Secrets at compile time. */
  readonly certificates: ReadonlyArray<TableCertificate>;
  /** HTTPS: the socket's own TLS policy, over the process's --tls-* flags. */
  readonly tlsPolicy?: TlsPolicy;
  /** HTTPS: client certificate validation; every certificate's context then carries its CA bundle. */
  readonly clientValidation?: ClientValidation;
}

/** A certificate of an HTTPS socket. */
export interface TableCertificate {
  readonly hostname: string;
  readonly tls: CompiledTls;
  /**
   * The Secret's tls.crt / tls.key: a TLS server's default certificate (for clients that send
   * no SNI, which never reach the SNI callback) can only be given as PEM, not as a SecureContext.
   */
  readonly pem: { readonly cert: Buffer; readonly key: Buffer };
}

/** One backendRef of an HTTPRoute rule, as the data plane balances it. */
export interface WeightedBackend {
  readonly weight: number;
  /** Absent: the backendRef did not resolve; its share of requests is answered 500. */
  readonly target?: BackendTarget;
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
}

/** A RequestMirror filter as the data plane copies requests to it. */
export interface MirrorTarget {
  /** 0 to 100. */
  readonly percent: number;
  /** Absent: the Service did not resolve; nothing is copied. */
  readonly target?: BackendTarget;
}

/** What an HTTPRoute entry adds to a CompiledRoute (CompiledRoute.gateway). */
export interface GatewayRouting {
  /** `HTTPRoute/<ns>/<name>`: statuses, metrics and limits are keyed by it. */
  readonly routeKey: string;
  readonly ruleKey: string;
  readonly pathMatch: PathMatch;
  /** Spec order. Empty and no redirect: every request gets a 500. */
  readonly backends: readonly WeightedBackend[];
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
  readonly urlRewrite?: RouteFilters['urlRewrite'];
  readonly redirect?: RouteFilters['redirect'];
  /** The CORS filter: preflights answered by wsgate, headers on plain responses (not on upgrades). */
  readonly cors?: CompiledCors;
  /** RequestMirror filters: plain requests are copied to them, fire-and-forget. */
  readonly mirrors?: readonly MirrorTarget[];
  readonly requestTimeoutMs?: number;
  readonly backendRequestTimeoutMs?: number;
  /** rules[].retry: plain requests are tried again on these codes, connection errors and backend timeouts. */
  readonly retry?: RetryPolicy;
  /**
   * The Gateway listener's port (ListenerRef.port): a RequestRedirect without port or scheme
   * keeps it. Absent: the port of the socket the request arrived on.
   */
  readonly listenerPort?: number;
}
