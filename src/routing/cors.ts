// The CORS filter of an HTTPRoute entry (HTTPRouteCORS), compiled once per table and applied by
// the data plane: wsgate answers a preflight itself and adds the CORS headers to the backend's
// plain responses. WebSocket upgrades get neither: browsers do no CORS for WebSockets, and an
// upgrade's Origin is checked by security.allowedOrigins (src/security/origin.ts, the same
// origin matcher used here).
//
// Access-Control-Allow-Origin always echoes the request's Origin, never `*`: the spec allows the
// echo whatever allowCredentials says and requires it with credentials, so one answer serves
// both (with `Vary: Origin`, so a cache keeps one answer per origin). Only an Origin in the form
// browsers send is echoed: a joined list (`a, b`) or bytes outside it are no origin.

import type http from 'node:http';
import { isHttpToken } from '../api/formats.js';
import type { CorsFilter } from '../gatewayapi/model.js';
import { compileOriginPolicy, originAllowed, type OriginPolicy } from '../security/origin.js';

export interface CompiledCors {
  /** Absent: allowOrigins is empty, no origin is allowed. */
  readonly origins?: OriginPolicy;
  /** allowMethods is `*`: the requested method is echoed. */
  readonly anyMethod: boolean;
  /** The allowMethods list as written into Access-Control-Allow-Methods ('' for none). */
  readonly methods: string;
  readonly anyHeader: boolean;
  readonly headers: string;
  readonly anyExposed: boolean;
  readonly exposed: string;
  readonly credentials: boolean;
  readonly maxAge: string;
}

const ECHOABLE_ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9.\-[\]:]+$/;
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

const listOf = (names: readonly string[]) => names.filter((n) => n !== '*').join(', ');

export function compileCors(f: CorsFilter): CompiledCors {
  return {
    ...(f.allowOrigins.length > 0 ? { origins: compileOriginPolicy(f.allowOrigins, false) } : {}),
    anyMethod: f.allowMethods.includes('*'),
    methods: listOf(f.allowMethods),
    anyHeader: f.allowHeaders.includes('*'),
    headers: listOf(f.allowHeaders),
    anyExposed: f.exposeHeaders.includes('*'),
    exposed: listOf(f.exposeHeaders),
    credentials: f.allowCredentials,
    maxAge: String(f.maxAgeSeconds),
  };
}

/** A CORS preflight (Fetch standard, "CORS-preflight request"): OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string | undefined, headers: http.IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/** The request's Origin when the filter allows it (the value to echo), else undefined. */
export function allowedOrigin(cors: CompiledCors, headers: http.IncomingHttpHeaders): string | undefined {
  const origin = headers.origin;
  if (origin === undefined || !cors.origins || !ECHOABLE_ORIGIN.test(origin)) return undefined;
  return originAllowed(cors.origins, origin) ? origin : undefined;
}

/** The requested header names that are header names, joined; undefined when the request names none. */
function requestedHeaders(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((n) => n.trim()).filter(isHttpToken);
  return names.length ? names.join(', ') : undefined;
}

/**
 * The headers of wsgate's answer to a preflight: only Vary when the Origin is not allowed (the
 * browser then refuses the actual request, as the spec allows instead of a 403).
 */
export function preflightHeaders(cors: CompiledCors, headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = { Vary: PREFLIGHT_VARY };
  const origin = allowedOrigin(cors, headers);
  if (origin === undefined) return out;
  out['Access-Control-Allow-Origin'] = origin;
  if (cors.credentials) out['Access-Control-Allow-Credentials'] = 'true';
  const method = headers['access-control-request-method'];
  // `*` is echoed as the one method asked for: required with credentials, allowed without.
  const methods = cors.anyMethod ? (method !== undefined && isHttpToken(method) ? method : '') : cors.methods;
  if (methods) out['Access-Control-Allow-Methods'] = methods;
  // Without Access-Control-Request-Headers the spec says to leave Allow-Headers out.
  const requested = requestedHeaders(headers['access-control-request-headers']);
  const allowHeaders = requested === undefined ? '' : cors.anyHeader ? requested : cors.headers;
  if (allowHeaders) out['Access-Control-Allow-Headers'] = allowHeaders;
  // With credentials `*` is taken literally by browsers, so it is not sent; no response
  // header names are known at preflight time.
  const exposed = cors.exposed || (cors.anyExposed && !cors.credentials ? '*' : '');
  if (exposed) out['Access-Control-Expose-Headers'] = exposed;
  out['Access-Control-Max-Age'] = cors.maxAge;
  return out;
}

/**
 * Adds the CORS headers to a backend's plain response (`origin`: allowedOrigin() of the request
 * as the client sent it, before any RequestHeaderModifier). Vary: Origin either way, since
 * whether the headers are there depends on it.
 */
export function addCorsHeaders(cors: CompiledCors, origin: string | undefined, response: http.IncomingHttpHeaders): void {
  varyOnOrigin(response);
  if (origin === undefined) return;
  response['access-control-allow-origin'] = origin;
  if (cors.credentials) response['access-control-allow-credentials'] = 'true';
  // With credentials `*` would be taken literally: the response's own header names instead.
  const exposed = cors.exposed || (cors.anyExposed ? (cors.credentials ? Object.keys(response).filter((n) => !n.startsWith('access-control-')).join(', ') : '*') : '');
  if (exposed) response['access-control-expose-headers'] = exposed;
}

function varyOnOrigin(response: http.IncomingHttpHeaders): void {
  const vary = response.vary;
  if (vary === undefined || vary === '') response.vary = 'Origin';
  else if (vary.trim() !== '*' && !vary.split(',').some((v) => v.trim().toLowerCase() === 'origin')) response.vary = `${vary}, Origin`;
}
