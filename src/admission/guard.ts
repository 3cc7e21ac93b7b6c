// The admission stage: the route's security on each request, upgrade or plain, in this order
// (cheap and abuse-resistant first):
//   1. a Secret the route needs is missing        -> 503, fail closed
//   1b. spec.tls.clientValidation AllowValidOnly: no client certificate verified against the
//      route's own CA bundle                       -> 403 (AllowInsecureFallback: served, no header)
//   2. upgradesPerSecondPerClient token bucket     -> 429 + Retry-After (plain requests take tokens too)
//   3. Origin allow-list                           -> 403
//   4. JWT / API key                               -> 401 + WWW-Authenticate; claims -> 403
//      (not for a CORS preflight: browsers send no credentials on it)
//   5. upgrades only: maxConnections (503), maxConnectionsPerClient (429), counted until the
//      client socket closes
// Per-client limits count the client's group (an IPv6 client's prefix, security/client-group.ts);
// logs and the X-Forwarded-* headers name the client's own address.
// Before any of it, the hop-by-hop headers (and those the client's Connection names, except
// the protected ones) are stripped from the client's headers, before wsgate adds anything.
// Then the request head for the backend is prepared: X-Forwarded-*, Forwarded, X-Real-IP,
// request id and trace context, forwarded claims, header rules, credentials that must not
// travel removed, headers that would override the target removed.

import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Admission, RequestContext, Verdict } from '../pipeline/context.js';
import type { CompiledRoute } from '../routing/types.js';
import { apiKeyValid, type ApiKeyVerifier } from '../security/api-keys.js';
import { CLIENT_CERT_HEADER } from '../api/client-validation.js';
import { DEFAULT_CLIENT_IPV6_PREFIX } from '../api/defaults.js';
import { clientAddress, normalizeAddress, type TrustedProxies } from '../security/client-address.js';
import { clientGroup } from '../security/client-group.js';
import { forwardedHeaders, TARGET_OVERRIDE_HEADERS } from '../security/forwarded.js';
import { findToken, unmetClaim, verifyToken, type JwtVerifier } from '../security/jwt.js';
import { originAllowed } from '../security/origin.js';
import { Limiter } from '../security/rate-limit.js';
import {
  applyHeaderRules,
  claimHeaderValue,
  dropUnderscoreAliases,
  queryParam,
  removeSubprotocolEntries,
  stripHopByHop,
  withoutQueryParams,
} from '../security/request-headers.js';
import { requestIdFor } from '../security/request-id.js';
import { traceparentFor } from '../security/trace.js';

export interface SecurityGuardOptions {
  log: Logger;
  trustedProxies?: TrustedProxies;
  limiter?: Limiter;
  /** --client-ipv6-prefix: IPv6 clients in one prefix of this length are one client for limits and hashing. */
  clientIpv6Prefix?: number;
}

const REALM = 'realm="wsgate"';

type Refusal = Extract<Verdict, { ok: false }>;

export class SecurityGuard implements Admission {
  readonly limiter: Limiter;
  private readonly log: Logger;
  private readonly trusted: TrustedProxies | undefined;
  private readonly ipv6Prefix: number;

  constructor(opts: SecurityGuardOptions) {
    this.log = opts.log;
    this.trusted = opts.trustedProxies;
    this.ipv6Prefix = opts.clientIpv6Prefix ?? DEFAULT_CLIENT_IPV6_PREFIX;
    this.limiter = opts.limiter ?? new Limiter();
  }

  stop(): void {
    this.limiter.stop();
  }

  /** Who the client is (see client-address.ts); computed once per request, used everywhere. */
  private identify(ctx: RequestContext): void {
    const req = ctx.req;
    ctx.fromTrustedProxy = this.trusted?.contains(normalizeAddress(req.socket.remoteAddress ?? '')) ?? false;
    ctx.client = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trusted);
    ctx.clientGroup = clientGroup(ctx.client, this.ipv6Prefix);
    // Request id first, so refusals are logged with it too.
    ctx.requestId = requestIdFor(req.headers['x-request-id']);
    req.headers['x-request-id'] = ctx.requestId;
  }

  async admit(ctx: RequestContext): Promise<Verdict> {
    const route = ctx.route!;
    const req = ctx.req;
    const sec = route.security;
    // From what the client sent, before wsgate sets anything Connection could name.
    stripHopByHop(req.headers, ctx.kind === 'upgrade', sec?.jwt?.claimHeaders);
    this.identify(ctx);
    ctx.clientCertificate = ctx.tls?.clientCertificate;
    if (!sec) return this.prepare(ctx, undefined);
    const client = ctx.client;
    const refuse = (verdict: Refusal): Verdict => {
      // Never the token, key or query string: route, client and why.
      this.log.info({ route: route.key, client, requestId: ctx.requestId, status: verdict.status, result: verdict.result, kind: ctx.kind }, `${ctx.kind === 'upgrade' ? 'upgrade' : 'request'} refused: ${verdict.message}`);
      return verdict;
    };

    if (sec.unresolved) {
      return refuse({ ok: false, status: 503, result: 'not_configured', message: `route ${route.key} is not configured: a Secret it references is unavailable (${sec.unresolved.reason})`, headers: { 'Retry-After': '10' } });
    }
    if (sec.clientValidation) {
      // This route's bundle, not the connection's: the handshake may have verified against
      // another route's CA on the same host (proxy/sni-index.ts), or on no TLS at all.
      ctx.clientCertificate = ctx.tls?.clientCertificateFor?.(sec.clientValidation.anchors);
      if (!ctx.clientCertificate && sec.clientValidation.mode === 'AllowValidOnly') {
        return refuse({ ok: false, status: 403, result: 'forbidden', message: 'a client certificate verified for this route is required' });
      }
    }
    const rate = sec.limits.upgradesPerSecondPerClient;
    if (rate !== undefined) {
      const token = this.limiter.takeToken(route.key, ctx.clientGroup, rate);
      if (!token.ok) {
        return refuse({ ok: false, status: 429, result: 'rate_limited', message: 'too many requests from this client', headers: { 'Retry-After': String(token.retryAfterSeconds) } });
      }
    }
    const origin = req.headers.origin;
    if (!originAllowed(sec.origin, origin)) {
      return refuse({ ok: false, status: 403, result: 'forbidden', message: origin === undefined ? 'an Origin header is required' : 'origin not allowed' });
    }

    let claims: Record<string, unknown> | undefined;
    if ((sec.jwt || sec.apiKeys) && !isCorsPreflight(ctx)) {
      const outcome = await authenticate(sec.jwt, sec.apiKeys, req);
      if (!outcome.ok) {
        return refuse({ ok: false, status: outcome.status, result: outcome.status === 403 ? 'forbidden' : 'unauthorized', message: outcome.message, headers: outcome.headers });
      }
      claims = outcome.claims;
      this.log.debug({ route: route.key, client, requestId: ctx.requestId, auth: outcome.source }, 'request authenticated');
    }

    // The client may have gone during verification: then its close event has fired already.
    if (req.socket.destroyed) return { ok: false, status: 499, result: 'client_gone', message: 'client closed the connection' };
    if (ctx.kind === 'upgrade') {
      const counted = this.limiter.acquire(route.key, ctx.clientGroup, sec.limits);
      if (!counted.ok) {
        return counted.limit === 'route'
          ? refuse({ ok: false, status: 503, result: 'route_limit', message: `route ${route.key} is at its connection limit`, headers: { 'Retry-After': '1' } })
          : refuse({ ok: false, status: 429, result: 'client_limit', message: 'too many connections from this client', headers: { 'Retry-After': '1' } });
      }
      ctx.onRelease(counted.release);
    }
    return this.prepare(ctx, claims);
  }

  /** Rewrites the request head for the backend; runs only for requests that passed. */
  private prepare(ctx: RequestContext, claims: Record<string, unknown> | undefined): Verdict {
    const req = ctx.req;
    const route: CompiledRoute = ctx.route!;
    const h = req.headers;
    // Computed before header rules: from what the client sent.
    Object.assign(h, forwardedHeaders(req, ctx.fromTrustedProxy, ctx.client));
    for (const name of TARGET_OVERRIDE_HEADERS) delete h[name];
    // Only what this connection's handshake verified, never what the client wrote.
    delete h[CLIENT_CERT_HEADER];
    if (ctx.clientCertificate) h[CLIENT_CERT_HEADER] = ctx.clientCertificate.header;
    const trace = traceparentFor(h.traceparent);
    h.traceparent = trace.value;
    if (trace.started) delete h.tracestate;
    const sec = route.security;
    if (sec?.jwt) {
      // A client must not smuggle in a header wsgate derives from claims.
      for (const [claim, header] of sec.jwt.forwardClaims) {
        delete h[header];
        const value = claims ? claimHeaderValue(claims[claim]) : undefined;
        if (value !== undefined) h[header] = value;
      }
      if (sec.jwt.subprotocolPrefix) removeSubprotocolEntries(h, sec.jwt.subprotocolPrefix);
    }
    if (sec) applyHeaderRules(h, sec.headers);
    dropUnderscoreAliases(h, sec?.jwt?.claimHeaders);
    // Credentials in the query string end up in every access log on the way: not forwarded.
    const jwtQuery = sec?.jwt?.query;
    const keyQuery = sec?.apiKeys?.query;
    if ((jwtQuery !== undefined || keyQuery !== undefined) && req.url) {
      req.url = withoutQueryParams(req.url, new Set([jwtQuery, keyQuery].filter((q): q is string => q !== undefined)));
    }
    return { ok: true };
  }
}

/** A browser's CORS preflight: OPTIONS with Access-Control-Request-Method, never with credentials. */
function isCorsPreflight(ctx: RequestContext): boolean {
  return ctx.kind === 'http' && ctx.req.method === 'OPTIONS' && ctx.req.headers['access-control-request-method'] !== undefined;
}

type AuthOutcome =
  | { ok: true; claims?: Record<string, unknown>; source: string }
  | { ok: false; status: 401 | 403; message: string; headers: Record<string, string> };

/** Either credential is enough when both are configured; a wrong one is never retried as the other kind. */
async function authenticate(jwt: JwtVerifier | undefined, apiKeys: ApiKeyVerifier | undefined, req: IncomingMessage): Promise<AuthOutcome> {
  const query = (name: string) => queryParam(req.url, name);
  let keyPresented = false;
  if (apiKeys) {
    const header = req.headers[apiKeys.header];
    const candidate = (Array.isArray(header) ? header[0] : header) ?? (apiKeys.query ? query(apiKeys.query) : undefined);
    if (candidate !== undefined) {
      keyPresented = true;
      if (apiKeyValid(apiKeys, candidate)) return { ok: true, source: 'api_key' };
    }
  }
  let tokenError: string | undefined;
  if (jwt) {
    const found = findToken(jwt, { authorization: req.headers.authorization, 'sec-websocket-protocol': req.headers['sec-websocket-protocol'] }, query);
    if (found) {
      const verified = await verifyToken(jwt, found.token);
      if (verified.ok) {
        const unmet = unmetClaim(verified.claims, jwt.requiredClaims);
        if (unmet !== null) {
          return {
            ok: false,
            status: 403,
            message: `the token lacks a required value of claim "${unmet}"`,
            headers: { 'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope"` },
          };
        }
        return { ok: true, claims: verified.claims as Record<string, unknown>, source: `jwt_${found.source}` };
      }
      tokenError = verified.description;
    }
  }
  const challenges: string[] = [];
  if (jwt) challenges.push(tokenError !== undefined ? `Bearer ${REALM}, error="invalid_token", error_description="${tokenError}"` : `Bearer ${REALM}`);
  if (apiKeys) challenges.push(keyPresented ? `ApiKey ${REALM}, error="invalid_key"` : `ApiKey ${REALM}`);
  const message =
    tokenError !== undefined ? `invalid token: ${tokenError}` : keyPresented ? 'invalid API key' : jwt ? 'a bearer token is required' : 'an API key is required';
  return { ok: false, status: 401, message, headers: { 'WWW-Authenticate': challenges.join(', ') } };
}
