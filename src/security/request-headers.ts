// What the backend receives as the upgrade request's headers: hop-by-hop headers stripped,
// the route's requestHeaders rules applied, claims forwarded, and credentials that must not
// travel (the bearer subprotocol entry, credential query parameters) taken out.

import type { IncomingHttpHeaders } from 'node:http';
import { FRAMING_HEADERS, WSGATE_SET_HEADERS } from '../api/reserved-headers.js';
import { TARGET_OVERRIDE_HEADERS } from './forwarded.js';

/** Always hop-by-hop (RFC 9110 7.6.1 and common practice); Connection and Upgrade are rebuilt. */
const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate'];

/**
 * Never removed because Connection names them: the handshake, the framing, and every header
 * wsgate sets itself. Connection can name only true hop-by-hop extensions (RFC 9110 7.6.1); a
 * client naming one of these must not make wsgate drop it, nor drop what wsgate adds.
 */
const PROTECTED: ReadonlySet<string> = new Set([
  ...FRAMING_HEADERS,
  'host',
  ...WSGATE_SET_HEADERS,
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

const NONE: ReadonlySet<string> = new Set();

/** Whether Connection may remove `name` (lower-case); `alsoProtected`: the route's own (forwarded claims). */
export function connectionMayRemove(name: string, alsoProtected: ReadonlySet<string> = NONE): boolean {
  return !PROTECTED.has(name) && !name.startsWith('x-forwarded-') && !alsoProtected.has(name);
}

export interface HeaderRules {
  /** Lower-cased name -> value. */
  readonly set: ReadonlyArray<readonly [string, string]>;
  readonly add: ReadonlyArray<readonly [string, string]>;
  readonly remove: readonly string[];
}

/**
 * Header rules without the names that define the request's framing (reserved-headers.ts):
 * validation refuses such rules in a route file; anything that reaches here anyway is ignored.
 */
export function compileHeaderRules(spec: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] } | undefined): HeaderRules {
  const entries = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
      .map(([k, v]) => [k.toLowerCase(), safeHeaderValue(v)] as const)
      .filter(([k]) => !FRAMING_HEADERS.has(k));
  return {
    set: entries(spec?.set),
    add: entries(spec?.add),
    remove: (spec?.remove ?? []).map((k) => k.toLowerCase()).filter((k) => !FRAMING_HEADERS.has(k)),
  };
}

/**
 * Removes hop-by-hop headers, including those the client's Connection header names, except the
 * protected ones. Runs on the client's headers before wsgate adds any. An upgrade gets
 * `Connection: Upgrade` back; a plain request none (the backend agent sets keep-alive).
 */
export function stripHopByHop(headers: IncomingHttpHeaders, upgrade = true, alsoProtected: ReadonlySet<string> = NONE): void {
  // Per request: no arrays built when the client sent no Connection header (most of them).
  for (const name of HOP_BY_HOP) delete headers[name];
  const connection = headers.connection;
  if (connection !== undefined && connection !== '') {
    for (const token of String(connection).split(',')) {
      const name = token.trim().toLowerCase();
      if (name.length > 0 && connectionMayRemove(name, alsoProtected)) delete headers[name];
    }
  }
  if (upgrade) {
    headers.connection = 'Upgrade';
  } else {
    delete headers.connection;
    delete headers.upgrade;
  }
}

/**
 * Removes client headers whose name has a "_" and reads as one wsgate sets, protects or
 * forwards once "_" is taken for "-": CGI-style servers (PHP, WSGI, Rack, servlet containers
 * behind AJP) and frameworks fold both spellings into one key (HTTP_X_FORWARDED_FOR), so a
 * client's `X_Forwarded_For`, `X_Real_IP` or `X_User` (a forwarded claim) would stand in for,
 * or be merged into, the value wsgate wrote. Run on the finished head; `alsoProtected`: the
 * route's claim headers, which must go even when the token lacks the claim. Other underscore
 * names are passed on (nginx drops them all by default; Envoy keeps them).
 */
export function dropUnderscoreAliases(headers: IncomingHttpHeaders, alsoProtected: ReadonlySet<string> = NONE): void {
  for (const name of Object.keys(headers)) {
    if (!name.includes('_')) continue;
    const folded = name.replace(/_/g, '-');
    if (headers[folded] !== undefined || !connectionMayRemove(folded, alsoProtected) || TARGET_OVERRIDE_HEADERS.includes(folded as never)) delete headers[name];
  }
}

export function applyHeaderRules(headers: IncomingHttpHeaders, rules: HeaderRules): void {
  for (const name of rules.remove) delete headers[name];
  for (const [name, value] of rules.set) headers[name] = value;
  for (const [name, value] of rules.add) {
    const current = headers[name];
    if (current === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(current) ? current : [current]), value];
  }
}

/**
 * Drops Sec-WebSocket-Protocol entries that carry a token (those starting with `prefix`), so
 * the backend neither sees the token nor could select it; removes the header when none is left.
 */
export function removeSubprotocolEntries(headers: IncomingHttpHeaders, prefix: string): void {
  const value = headers['sec-websocket-protocol'];
  if (value === undefined) return;
  const kept = String(value)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0 && !p.startsWith(prefix));
  if (kept.length === 0) delete headers['sec-websocket-protocol'];
  else headers['sec-websocket-protocol'] = kept.join(', ');
}

/** The request target without the named query parameters; every other byte is kept. */
export function withoutQueryParams(url: string, names: ReadonlySet<string>): string {
  const q = url.indexOf('?');
  if (q === -1 || names.size === 0) return url;
  const kept = url
    .slice(q + 1)
    .split('&')
    .filter((part) => !names.has(queryName(part)));
  return kept.length === 0 ? url.slice(0, q) : `${url.slice(0, q)}?${kept.join('&')}`;
}

/** First value of a query parameter (form-decoded), or undefined. */
export function queryParam(url: string | undefined, name: string): string | undefined {
  if (!url) return undefined;
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  for (const part of url.slice(q + 1).split('&')) {
    if (queryName(part) !== name) continue;
    const eq = part.indexOf('=');
    return eq === -1 ? '' : decode(part.slice(eq + 1));
  }
  return undefined;
}

function queryName(part: string): string {
  const eq = part.indexOf('=');
  return decode(eq === -1 ? part : part.slice(0, eq));
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * A value Node will write as a header: control characters and everything beyond ASCII are
 * percent-encoded (UTF-8), so a claim such as a name with accents arrives intact and no value
 * can break the request head.
 */
export function safeHeaderValue(value: string, maxLength = 8192): string {
  const out = value.replace(/[^\t\x20-\x7e]/gu, (c) => encodeURIComponent(c));
  return out.length > maxLength ? out.slice(0, maxLength) : out;
}

/** A claim's value as header text: strings as they are, arrays comma-joined, objects as JSON. */
export function claimHeaderValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return safeHeaderValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
    return safeHeaderValue(value.join(','));
  }
  return safeHeaderValue(JSON.stringify(value));
}
