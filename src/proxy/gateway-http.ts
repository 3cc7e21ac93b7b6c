// What an HTTPRoute entry (CompiledRoute.gateway) does to a request and its answer, as the
// Gateway API spec defines its filters: the redirect's Location, URLRewrite paths, header
// modifiers on requests, plain responses and the 101, and the weighted choice of a backendRef.
// Pure: plain values in, plain values out; the proxy's stages call these.

import type http from 'node:http';
import { isHeaderValue, isHttpToken } from '../api/formats.js';
import { isFramingHeader } from '../api/reserved-headers.js';
import type { GatewayRouting, HeaderModifier, PathMatch, PathModifier, WeightedBackend } from '../routing/gateway-types.js';

type Redirect = NonNullable<GatewayRouting['redirect']>;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

/** What the redirect needs of the request, after the path and Host normalisation (routing/request-target.ts). */
export interface RedirectRequest {
  /** 'http' or 'https': how the request reached the listener. */
  readonly scheme: 'http' | 'https';
  /** Host header without its port. */
  readonly host: string;
  /** The Gateway listener's port (the port the client used). */
  readonly listenerPort: number;
  /** The normalised path, without the query. */
  readonly path: string;
  /** Raw query without '?' ('' when none). */
  readonly query: string;
}

/**
 * The Location of a RequestRedirect. The port: the filter's; else, when the filter changes the
 * scheme, that scheme's well-known port; else the listener's. A port that is the default of the
 * resulting scheme is left out, as the spec asks.
 */
export function redirectLocation(redirect: Redirect, pathMatch: PathMatch, req: RedirectRequest): string {
  const scheme = redirect.scheme ?? req.scheme;
  const host = redirect.hostname ?? req.host;
  const port = redirect.port ?? (redirect.scheme ? DEFAULT_PORTS[redirect.scheme]! : req.listenerPort);
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const authority = port === DEFAULT_PORTS[scheme] ? hostPart : `${hostPart}:${port}`;
  const path = redirect.path ? modifiedPath(req.path, pathMatch, redirect.path) : req.path;
  return `${scheme}://${authority}${path}${req.query ? `?${req.query}` : ''}`;
}

/**
 * A path after ReplaceFullPath or ReplacePrefixMatch. The prefix is replaced on segment
 * boundaries with trailing slashes of both prefix and replacement ignored, so the rest of the
 * path is kept byte for byte and no '//' appears (the spec's table: /foo/bar with prefix /foo
 * and replacement /xyz/ -> /xyz/bar; with an empty replacement -> /bar; /foo -> /).
 */
export function modifiedPath(path: string, pathMatch: PathMatch, modifier: PathModifier): string {
  if (modifier.type === 'ReplaceFullPath') return modifier.value;
  const prefix = withoutTrailingSlash(pathMatch.type === 'PathPrefix' ? pathMatch.value : path);
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : path;
  const result = withoutTrailingSlash(modifier.value) + rest;
  if (result === '') return '/';
  return result.startsWith('/') ? result : `/${result}`;
}

function withoutTrailingSlash(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x2f) end--;
  return s.slice(0, end);
}

/** The request target after URLRewrite's path (the query kept as received); unchanged without one. */
export function rewrittenTarget(url: string, pathMatch: PathMatch, modifier: PathModifier | undefined): string {
  if (!modifier) return url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return modifiedPath(path, pathMatch, modifier) + (q === -1 ? '' : url.slice(q));
}

/**
 * Whether a modifier entry can be written as one header line that leaves the message's framing
 * alone. The translator refuses routes with line breaks (src/gatewayapi/route-filters.ts); this is
 * the data plane's own guard, so that no path into a compiled table can put a line break into
 * what wsgate writes. Framing names (Content-Length, Transfer-Encoding, Connection ...) are
 * written by the proxy itself, never by a modifier.
 */
function writable(name: string, value: string): boolean {
  return isHttpToken(name) && isHeaderValue(value) && !isFramingHeader(name.toLowerCase());
}

/**
 * Applies a header modifier to parsed headers (lower-cased names, as Node keeps them): `set`
 * overwrites, `add` appends a value to what is there (a further header line), `remove` deletes.
 * Used for the request the backend sees and for plain responses. Entries that are not
 * `writable` are skipped, and so are names that carry the message's framing (Content-Length,
 * Transfer-Encoding, Connection ...): the proxy writes those itself.
 */
export function modifyHeaders(headers: http.IncomingHttpHeaders, mod: HeaderModifier | undefined): void {
  if (!mod) return;
  for (const { name, value } of mod.set) {
    const key = name.toLowerCase();
    if (writable(name, value)) headers[key] = value;
  }
  for (const { name, value } of mod.add) {
    if (!writable(name, value)) continue;
    const key = name.toLowerCase();
    const existing = headers[key];
    if (existing === undefined) headers[key] = value;
    else headers[key] = [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  if (mod.set.length > 0 || mod.add.length > 0) dropUnderscoreSpellings(headers, [...mod.set, ...mod.add]);
  for (const name of mod.remove) {
    const key = name.toLowerCase();
    if (!isFramingHeader(key)) delete headers[key];
  }
}

/**
 * Removes headers whose name, with "_" read as "-", is one a modifier wrote: CGI-style backends
 * fold both spellings into one key, so a client's `X_Tenant` would join or replace the
 * `X-Tenant` the route sets (the admission stage does the same for what wsgate itself sets).
 */
function dropUnderscoreSpellings(headers: http.IncomingHttpHeaders, written: ReadonlyArray<{ readonly name: string }>): void {
  const keys = Object.keys(headers).filter((k) => k.includes('_'));
  if (keys.length === 0) return;
  const names = new Set(written.map((w) => w.name.toLowerCase()));
  for (const k of keys) if (names.has(k.replace(/_/g, '-'))) delete headers[k];
}

/**
 * A raw response head ("HTTP/1.1 101 ...\r\n...\r\n\r\n", latin1) after header modifiers and
 * extra lines: lines whose header `set` or `remove` names are dropped, then the `set` and `add`
 * lines and the extra ones go before the blank line. The status line and every other line stay
 * as the backend wrote them. Entries and extra lines that are not `writable` are skipped, and
 * framing names (Connection, Upgrade, Content-Length ...) are ignored, as in modifyHeaders.
 */
export function modifyHead(head: string, mods: ReadonlyArray<HeaderModifier | undefined>, extra: readonly string[]): string {
  const drop = new Set<string>();
  const added: string[] = [];
  for (const mod of mods) {
    if (!mod) continue;
    for (const { name, value } of mod.set) {
      if (!writable(name, value)) continue;
      const key = name.toLowerCase();
      drop.add(key);
      // A later set or remove of the same name wins over what an earlier modifier added.
      removeLines(added, key);
      added.push(`${name}: ${value}`);
    }
    for (const { name, value } of mod.add) if (writable(name, value)) added.push(`${name}: ${value}`);
    for (const name of mod.remove) {
      const key = name.toLowerCase();
      if (isFramingHeader(key)) continue;
      drop.add(key);
      removeLines(added, key);
    }
  }
  const lines = head.slice(0, head.length - 4).split('\r\n');
  const kept = drop.size === 0 ? lines : lines.filter((line, i) => i === 0 || !drop.has(headerName(line)));
  return [...kept, ...added, ...extra.filter(isHeaderValue)].join('\r\n') + '\r\n\r\n';
}

function headerName(line: string): string {
  const colon = line.indexOf(':');
  return (colon === -1 ? line : line.slice(0, colon)).trim().toLowerCase();
}

function removeLines(lines: string[], key: string): void {
  for (let i = lines.length - 1; i >= 0; i--) if (headerName(lines[i]!) === key) lines.splice(i, 1);
}

/**
 * The backendRef for one request: proportional to the weights (weight 0 is never chosen), by
 * `random` in [0, 1). Undefined when every weight is 0 (or there is none): the request gets 500,
 * as it does when the chosen backendRef did not resolve (no `target`).
 */
export function pickWeighted(backends: readonly WeightedBackend[], random: () => number): WeightedBackend | undefined {
  let total = 0;
  for (const b of backends) total += Math.max(0, b.weight);
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const b of backends) {
    const w = Math.max(0, b.weight);
    if (w === 0) continue;
    if (r < w) return b;
    r -= w;
  }
  // Rounding at the top of the range: the last backend with a weight.
  for (let i = backends.length - 1; i >= 0; i--) if (backends[i]!.weight > 0) return backends[i];
  return undefined;
}
