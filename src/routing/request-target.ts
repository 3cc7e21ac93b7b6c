// The one request target and Host that route matching, rewrites, redirects and the backend all
// see. Backends normalise what they receive (decode %61 to "a", merge "//", cut ";params",
// take "#" as the end of the path); if wsgate matched the raw bytes, a request could match a
// public route here and reach a protected path there. So the target is normalised once, before
// lookup, as Envoy does with normalize_path + merge_slashes, and what cannot be normalised
// safely is refused with 400. Pure: strings in, a result out.

import { isIP } from 'node:net';
import { DEFAULT_PATH_ESCAPED_SLASHES, DEFAULT_PATH_MERGE_SLASHES, DEFAULT_PATH_SEMICOLONS } from '../api/defaults.js';
import { isUnreserved } from './template.js';

/** How paths are normalised (the --path-* flags). */
export interface PathOptions {
  /** "//" runs become one "/". */
  readonly mergeSlashes: boolean;
  /** %2F and %5C: refused, or kept encoded (so "/a%2Fb" stays one segment). */
  readonly escapedSlashes: 'reject' | 'keep';
  /** ";" and %3B: refused, or kept as sent. */
  readonly semicolons: 'reject' | 'keep';
}

export const DEFAULT_PATH_OPTIONS: PathOptions = Object.freeze({
  mergeSlashes: DEFAULT_PATH_MERGE_SLASHES,
  escapedSlashes: DEFAULT_PATH_ESCAPED_SLASHES,
  semicolons: DEFAULT_PATH_SEMICOLONS,
});

export interface TargetRefusal {
  readonly ok: false;
  readonly status: 400;
  readonly message: string;
}

export interface NormalTarget {
  readonly ok: true;
  /** The normalised path: starts with "/", what lookup matches and the backend receives. */
  readonly path: string;
  /** The query after "?" exactly as sent; undefined when the target has no "?". */
  readonly query: string | undefined;
}

const refuse = (message: string): TargetRefusal => ({ ok: false, status: 400, message });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

const HEX = '0123456789ABCDEF';
const encoded = (v: number): string => '%' + HEX[v >> 4]! + HEX[v & 15]!;

/**
 * Characters RFC 3986 does not allow in a path but Node's parser lets through: sent on encoded,
 * so "/a{b" and "/a%7Bb" (the same path to any backend that decodes) are one path here too.
 */
const ENCODE_RAW = '"<>[]^`{|}';

/**
 * Per ASCII byte: 0 copied as is, 1 looked at (% # backslash ; controls, space, DEL, ENCODE_RAW).
 * Most paths have only 0 bytes, so the loop below is one table read per character.
 */
const SPECIAL = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c <= 0x20; c++) t[c] = 1;
  t[0x7f] = 1;
  for (const ch of '%#\\;' + ENCODE_RAW) t[ch.charCodeAt(0)] = 1;
  return t;
})();

/**
 * The request target (origin form, as req.url holds it) normalised, or why it is refused:
 *   - unreserved percent-encodings decoded (%61dmin -> admin), other hex digits upper-cased;
 *   - a malformed "%" (not two hex digits), "#" anywhere, a raw "\", control characters and
 *     non-ASCII bytes, and encoded control characters (%00-%1F, %7F) refused;
 *   - %2F / %5C refused, or kept encoded with escapedSlashes 'keep';
 *   - ";" / %3B refused, or kept with semicolons 'keep';
 *   - "//" merged (mergeSlashes);
 *   - "." and ".." segments refused, raw or encoded, also where a kept %2F, %5C or ";" would
 *     make one for a backend that splits or cuts there.
 * Case is significant: RFC 3986 section 6.2.2.1 normalises only the hex digits (to upper case).
 * The query is kept byte for byte (only "#" and bytes Node would not accept are refused).
 */
export function normalizeTarget(target: string, opts: PathOptions = DEFAULT_PATH_OPTIONS): NormalTarget | TargetRefusal {
  const q = target.indexOf('?');
  const raw = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? undefined : target.slice(q + 1);
  if (query !== undefined) {
    const problem = queryProblem(query);
    if (problem) return refuse(problem);
  }
  // An empty path is "/" (RFC 9110 section 4.2.3); "*" and absolute forms are not routed.
  if (raw === '') return { ok: true, path: '/', query };
  if (raw.charCodeAt(0) !== 0x2f) return refuse('request target must be an absolute path');
  const decoded = decodePath(raw, opts);
  if (typeof decoded !== 'string') return decoded;
  const path = opts.mergeSlashes && decoded.includes('//') ? decoded.replace(/\/{2,}/g, '/') : decoded;
  if (hasDotSegment(path)) return refuse('dot segments are not allowed in the path');
  return { ok: true, path, query };
}

/** The target for req.url: the normalised path and the query as sent. */
export function targetString(t: NormalTarget): string {
  return t.query === undefined ? t.path : `${t.path}?${t.query}`;
}

function decodePath(raw: string, opts: PathOptions): string | TargetRefusal {
  let out = '';
  // Runs of characters that stay as they are are copied in one slice.
  let copied = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x80 && SPECIAL[c] === 0) continue;
    if (c === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi === -1 || lo === -1) return refuse('malformed percent-encoding in the path');
      const v = hi * 16 + lo;
      if (v < 0x20 || v === 0x7f) return refuse('encoded control character in the path');
      if ((v === 0x2f || v === 0x5c) && opts.escapedSlashes === 'reject') return refuse('encoded "/" or "\\" (%2F, %5C) in the path');
      if (v === 0x3b && opts.semicolons === 'reject') return refuse('";" (%3B) in the path');
      out += raw.slice(copied, i) + (isUnreserved(v) ? String.fromCharCode(v) : encoded(v));
      i += 2;
      copied = i + 1;
      continue;
    }
    if (c === 0x23) return refuse('"#" in the request target');
    if (c === 0x5c) return refuse('backslash in the path');
    if (c === 0x3b && opts.semicolons === 'reject') return refuse('";" in the path');
    if (c <= 0x20 || c >= 0x7f) return refuse('control character or non-ASCII byte in the path');
    if (ENCODE_RAW.includes(raw[i]!)) {
      out += raw.slice(copied, i) + encoded(c);
      copied = i + 1;
    }
  }
  return copied === 0 ? raw : out + raw.slice(copied);
}

function queryProblem(query: string): string | null {
  if (query.includes('#')) return '"#" in the request target';
  if (/[^\x21-\x7e]/.test(query)) return 'control character or non-ASCII byte in the query';
  return null;
}

/**
 * A "." or ".." segment; with kept %2F, %5C or ";" also a piece between them, since a backend
 * that decodes %2F or cuts ";params" would see "/a/..%2Fb" or "/..;x/" as a dot segment.
 */
function hasDotSegment(path: string): boolean {
  if (!path.includes('.')) return false;
  for (const segment of path.split('/')) {
    if (segment === '.' || segment === '..') return true;
    if (!segment.includes('.')) continue;
    for (const piece of segment.split(/%2F|%5C|%3B|;/)) if (piece === '.' || piece === '..') return true;
  }
  return false;
}

// --- Host ------------------------------------------------------------------------------------

export interface NormalHost {
  readonly ok: true;
  /** The Host header for the backend: lower-cased, without the trailing dot, port kept. */
  readonly header: string;
  /** The name routes match: `header` without the port; IPv6 literals keep their brackets. */
  readonly name: string;
}

/**
 * What a Host may hold (RFC 9112 3.2: any other value is answered 400): a name of letters,
 * digits, "-", "." and "_", or an IPv6 literal in brackets, then an optional port of digits.
 * Narrower than RFC 3986's reg-name on purpose: "@" (userinfo), "/", "\\", "?", "#", "," or
 * "%" make a backend that builds a URL from "http://" + Host, or splits a list, read another
 * host than the one wsgate matched ("a@secure.example.com" is secure.example.com to a URL
 * parser), and no real host name needs them.
 */
const REG_NAME = /^[a-z0-9._-]*$/;
const PORT = /^(?::(?:[0-9]{0,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$/;

/**
 * "Secure.Example.com.:8080" -> header "secure.example.com:8080", name "secure.example.com".
 * A fully qualified name's trailing dot names the same host (RFC 1034 section 3.1), so it is
 * dropped before matching: otherwise a host route's auth could be skipped by adding the dot.
 * A name with an empty label ("a..b", ".a", "a..") is refused, as is anything that is not a
 * host name or address with an optional port (REG_NAME, PORT). No Host: empty name.
 */
export function normalizeHost(value: string | undefined): NormalHost | TargetRefusal {
  const { name, port } = splitHostPort((value ?? '').trim().toLowerCase());
  if (!PORT.test(port) || !(name.startsWith('[') ? isIPv6Literal(name) : REG_NAME.test(name))) return refuse('invalid Host: not a host name or address with an optional port');
  if (name.startsWith('[')) return { ok: true, header: name + port, name };
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const emptyLabel = bare === '' ? name !== '' : bare.startsWith('.') || bare.endsWith('.') || bare.includes('..');
  if (emptyLabel) return refuse('invalid Host: empty label');
  return { ok: true, header: bare + port, name: bare };
}

/** "[fd00::1]" with a valid IPv6 address inside (no zone: "%" is refused in a Host). */
function isIPv6Literal(name: string): boolean {
  return name.endsWith(']') && !name.includes('%') && isIP(name.slice(1, -1)) === 6;
}

/** "host:port" -> name and ":port" ('' without one); "[::1]:80" keeps the brackets in the name. */
function splitHostPort(h: string): { name: string; port: string } {
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? { name: h, port: '' } : { name: h.slice(0, end + 1), port: h.slice(end + 1) };
  }
  const colon = h.indexOf(':');
  return colon === -1 ? { name: h, port: '' } : { name: h.slice(0, colon), port: h.slice(colon) };
}
