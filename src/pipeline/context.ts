// The one object a request carries through the data plane's stages (runner.ts):
//   lookup -> admit (security, limits) -> choose endpoint (affinity, balancer, health)
//   -> backend exchange (upgrade or plain) -> respond (Set-Cookie or session header, CORS) -> observe.
// An entry point per transport creates it; the stages fill it in (the target once normalised,
// the route, who the client is, what the backend may see). Nothing is kept in module state
// between the stages.

import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MAIN_LISTENER, type WeightedBackend } from '../routing/gateway-types.js';
import type { VerifiedClientCertificate } from '../api/client-validation.js';
import type { BodyFraming } from './body-framing.js';
import type { Protocol } from './responder.js';
import type { PathParams } from '../routing/template.js';
import type { CompiledRoute, Endpoint } from '../routing/types.js';

export type RequestKind = 'upgrade' | 'http';

/** How an upgrade ended, for wsgate_upgrades_total. */
export type UpgradeResult =
  | 'ok'
  | 'bad_request'
  | 'no_route'
  | 'no_endpoints'
  | 'backend_error'
  | 'backend_rejected'
  | 'timeout'
  | 'client_gone'
  | 'shutting_down'
  // The Host names a server the connection's TLS handshake (SNI) did not reach (421).
  | 'misdirected'
  // HTTPRoute entries: a RequestRedirect answered, or the chosen backendRef is invalid (500).
  | 'redirected'
  | 'invalid_backend'
  // Refused by the admission stage, the route's security (src/admission/guard.ts):
  | 'not_configured'
  | 'rate_limited'
  | 'forbidden'
  | 'unauthorized'
  | 'client_limit'
  | 'route_limit'
  // Refused by the process's overload protection (src/proxy/overload-gate.ts):
  | 'max_connections'
  | 'overloaded';

export type AffinityResult = 'hit' | 'miss' | 'stale';

/**
 * What the TLS handshake of the client's connection named, on an HTTPS listener (wsgate's
 * --tls-listen or a Gateway HTTPS socket): the misdirected stage compares it with the Host.
 */
export interface TlsArrival {
  /** The SNI the client sent; undefined: none (an IP address, an old client). */
  readonly serverName: string | undefined;
  /**
   * What a handshake naming `name` is served now (undefined: no SNI): the certificate's Secret
   * on --tls-listen, the Gateway listener's hostname on a Gateway socket. Two names with the
   * same answer may share a connection.
   */
  servedBy(name: string | undefined): string;
  /** The client certificate the handshake verified (mutual TLS); undefined: none, or not verified. */
  readonly clientCertificate?: VerifiedClientCertificate;
  /**
   * --tls-listen (client certificates per WebSocketRoute): the client certificate when it is
   * verified for a route's anchors (its CA bundle), else undefined. `clientCertificate` is then never set.
   */
  clientCertificateFor?(anchors: readonly X509Certificate[]): VerifiedClientCertificate | undefined;
}

const NO_BODY: BodyFraming = Object.freeze({ kind: 'none' });

export class RequestContext {
  readonly started = performance.now();
  /** Who the client is: the peer, or its X-Forwarded-For behind a trusted proxy (headers and logs name it). */
  client: string;
  /**
   * What per-client limits and sourceIP hashing count: `client`, or for an IPv6 client its
   * --client-ipv6-prefix ("2001:db8:1:2::/64"), so one host's many addresses are one client.
   */
  clientGroup: string;
  /** The peer is a configured trusted proxy: its X-Forwarded-* are extended, not replaced. */
  fromTrustedProxy = false;
  requestId: string | undefined;
  /**
   * The Host's name as the normalise stage left it (routing/request-target.ts normalizeHost:
   * lower-case, no trailing dot, no port, an IPv6 literal in brackets; '' without a Host): what
   * lookup and redirects read, so the Host is split once.
   */
  host = '';
  route: CompiledRoute | undefined;
  params: PathParams = {};
  endpoint: Endpoint | undefined;
  affinity: AffinityResult | undefined;
  /** HTTPRoute entries: the backendRef chosen by weight (its header modifiers apply too). */
  gatewayBackend: WeightedBackend | undefined;
  /**
   * Plain requests of a route with a CORS filter: the allowed Origin the client sent (before
   * any request header modifier), which the respond stage's CORS headers answer.
   */
  corsOrigin: string | undefined;
  /** The endpoint the client's affinity value (cookie or session header) named, when it was usable. */
  stickyEndpointId: string | undefined;
  /**
   * A v2 affinity value of the previous key (in its grace period): the endpoint it named and the
   * end it carried, which the value re-signed with the current key keeps.
   */
  affinityEnd: { readonly endpointId: string; readonly expiry: string } | undefined;
  /** Releases what admission counted (open connections per client and route); once. */
  private releaseFn: (() => void) | undefined;

  /** The request target as the client sent it (normalisation, admission and rewrite change req.url). */
  readonly originalUrl: string;
  /**
   * The normalised request target, parsed once by the normalise stage: the path lookup matches
   * and redirects build on, and the query after "?" ('' when there is none).
   */
  path = '/';
  query = '';
  /** Plain requests: how the body the backend receives is delimited (set by the framing stage). */
  framing: BodyFraming = NO_BODY;
  /** Set by the entry points for a connection of an HTTPS listener; undefined on a plain one. */
  tls: TlsArrival | undefined;
  /** The client certificate verified for this request's route (admission/guard.ts): what X-Forwarded-Client-Cert and the access log show. */
  clientCertificate: VerifiedClientCertificate | undefined;

  constructor(
    readonly kind: RequestKind,
    readonly req: IncomingMessage,
    peer: string,
    /** Key of the socket the request arrived on (routing/gateway-types.ts). */
    readonly listener: string = MAIN_LISTENER,
    /** What the client speaks to wsgate: labels metrics and the access log. */
    readonly protocol: Protocol = 'http/1.1',
  ) {
    this.client = peer;
    this.clientGroup = peer;
    this.originalUrl = req.url ?? '/';
  }

  /** The path the client sent, without the query (which may carry credentials): for logs. */
  get originalPath(): string {
    const q = this.originalUrl.indexOf('?');
    return q === -1 ? this.originalUrl : this.originalUrl.slice(0, q);
  }

  onRelease(fn: () => void): void {
    this.releaseFn = fn;
  }

  /** Hands over what release() would run (once), so only it, not this context, outlives the request. */
  takeRelease(): (() => void) | undefined {
    const fn = this.releaseFn;
    this.releaseFn = undefined;
    return fn;
  }

  release(): void {
    const fn = this.releaseFn;
    this.releaseFn = undefined;
    fn?.();
  }

  /** The request came over TLS, to wsgate or (as a trusted proxy says) to the proxy before it. */
  get secure(): boolean {
    if ((this.req.socket as { encrypted?: boolean }).encrypted) return true;
    if (!this.fromTrustedProxy) return false;
    const proto = this.req.headers['x-forwarded-proto'];
    const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
    return first === 'https' || first === 'wss';
  }
}

/** What admission decided. */
export type Verdict =
  | { ok: true }
  | {
      ok: false;
      status: number;
      message: string;
      result: UpgradeResult;
      headers?: Record<string, string>;
    };

/**
 * The admission stage: runs after routing and before an endpoint is chosen. Sets
 * ctx.client, ctx.requestId and the request head for the backend, or refuses.
 */
export interface Admission {
  admit(ctx: RequestContext): Verdict | Promise<Verdict>;
}
