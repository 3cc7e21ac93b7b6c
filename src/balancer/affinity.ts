// Cookie session affinity. The cookie names the endpoint without revealing it: its value is an
// HMAC of the route's namespace and the endpoint address under a key every replica has
// (--affinity-key-file, from a Secret in the chart), so replicas behind one load balancer
// agree without sharing state, and a forged or stale value simply matches no endpoint.
// Without a key file each process makes a random key at start: a key anyone can read in the
// source would let them forge cookies and test guesses of endpoint addresses against them.
//
// The namespace, not the route name, goes into the value: routes of one application (its
// Socket.IO path, its SignalR hub, its pages) usually share endpoints and a cookie name, and
// then one cookie keeps the client on one pod across all of them.

//
// A route with an absolute timeout (HTTPRoute sessionPersistence.absoluteTimeout) gets values
// that carry their own end: `v2.<endpoint tag>.<expiry, unix seconds base 36>.<signature>`, the
// signature an HMAC over tag and expiry under the same key, so every replica enforces the end
// without state and a client can neither extend it nor strip it (such a route takes no v1 value,
// whose tag alone a v2 value would give away).
//
// The key can change while the process runs (a rotated Secret or key file): values signed with
// the previous key, v1 and v2 alike, are still honoured for a grace period (a v2 value only until
// its own end), so a rotation does not move every client at once, and a client presenting one
// gets a value signed with the new key (a v2 one keeping its end: a key change extends no
// session). After the grace period the previous key is forgotten and its values are stale.

import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type http from 'node:http';
import type { CompiledAffinity, CompiledRoute, Endpoint } from '../routing/types.js';

const VERSION = 'v1';
const EXPIRING = 'v2';

/** A key for one process when none is configured: 32 bytes, the HMAC-SHA-256 block's worth of strength. */
export function randomAffinityKey(): Buffer {
  return randomBytes(32);
}

/** What one key reads in a value: the eligible endpoint, and the end a v2 value carries. */
interface SignedRead {
  endpoint: Endpoint;
  /** A v2 value's end, unix seconds in base 36 as written in it. */
  expiry?: string;
}

/** One key and the values it gives each route snapshot's endpoints. */
class SigningKey {
  /** Per table snapshot of a route: endpoint tag -> endpoint. Routes are immutable, so this never goes stale. */
  private readonly indexes = new WeakMap<CompiledRoute, Map<string, Endpoint>>();
  /** Per table snapshot of a route: endpoint id -> its tag (tagFor). */
  private readonly tags = new WeakMap<CompiledRoute, Map<string, string>>();

  /**
   * The key as a KeyObject, made once: createHmac given the bytes prepares a key from them on
   * every call (11 µs of CPU against 1.8 with a KeyObject, Node 24, issue 27).
   */
  private readonly hmacKey: KeyObject;

  /** `nowMs`: the clock expiring values are issued and checked against. */
  constructor(
    readonly key: Buffer,
    private readonly nowMs: () => number,
  ) {
    this.hmacKey = createSecretKey(key);
  }

  /**
   * The value naming `endpoint` on `route`; with an absolute timeout, one that ends then, or at
   * `expiry` (a v2 value's end as written in it) when an earlier value is signed again.
   */
  valueFor(route: CompiledRoute, endpoint: Endpoint, expiry?: string): string {
    const tag = this.tagFor(route, endpoint);
    const timeout = route.affinity?.absoluteTimeoutSeconds;
    if (timeout === undefined) return `${VERSION}.${tag}`;
    const end = expiry ?? (Math.floor(this.nowMs() / 1000) + timeout).toString(36);
    return `${EXPIRING}.${tag}.${end}.${this.signature(tag, end).toString('base64url')}`;
  }

  /** What a value names, or undefined (forged, stale, expired or left). */
  read(route: CompiledRoute, value: string): SignedRead | undefined {
    const parsed = route.affinity?.absoluteTimeoutSeconds === undefined ? this.plainTag(value) : this.unexpiredTag(value);
    if (parsed === undefined) return undefined;
    let index = this.indexes.get(route);
    if (!index) {
      index = new Map(route.backend.eligible.map((e) => [this.tagFor(route, e), e]));
      this.indexes.set(route, index);
    }
    const endpoint = index.get(parsed.tag);
    if (!endpoint) return undefined;
    return parsed.expiry === undefined ? { endpoint } : { endpoint, expiry: parsed.expiry };
  }

  /**
   * The endpoint's tag, an HMAC of the route's namespace and the endpoint's id under this key:
   * computed once per route snapshot and endpoint, then kept (it was an HMAC on every upgrade
   * that sets the cookie, issue 27). Like `indexes`, it goes with the snapshot.
   */
  private tagFor(route: CompiledRoute, endpoint: Endpoint): string {
    let tags = this.tags.get(route);
    if (!tags) this.tags.set(route, (tags = new Map()));
    let tag = tags.get(endpoint.id);
    if (tag === undefined) {
      tag = createHmac('sha256', this.hmacKey).update(`${route.namespace}\n${endpoint.id}`).digest().subarray(0, 16).toString('base64url');
      tags.set(endpoint.id, tag);
    }
    return tag;
  }

  private signature(tag: string, expiry: string): Buffer {
    return createHmac('sha256', this.hmacKey).update(`${EXPIRING}\n${tag}\n${expiry}`).digest().subarray(0, 12);
  }

  private plainTag(value: string): { tag: string; expiry?: undefined } | undefined {
    return value.startsWith(`${VERSION}.`) ? { tag: value.slice(VERSION.length + 1) } : undefined;
  }

  private unexpiredTag(value: string): { tag: string; expiry: string } | undefined {
    const [version, tag, expiry, signature] = value.split('.');
    if (version !== EXPIRING || !tag || !expiry || !signature || !/^[0-9a-z]{1,11}$/.test(expiry)) return undefined;
    const given = Buffer.from(signature, 'base64url');
    const want = this.signature(tag, expiry);
    // Decoding ignores stray characters: only the canonical spelling of the signature counts.
    if (given.length !== want.length || given.toString('base64url') !== signature || !timingSafeEqual(given, want)) return undefined;
    return parseInt(expiry, 36) * 1000 > this.nowMs() ? { tag, expiry } : undefined;
  }
}

/** The affinity value the request carries: the cookie, or the header of a header-carried session. */
export function affinityValue(settings: CompiledAffinity, headers: http.IncomingHttpHeaders): string | undefined {
  if (settings.carrier === 'header') {
    const v = headers[settings.name.toLowerCase()];
    // A repeated header is ambiguous: no value rather than the first or last.
    return typeof v === 'string' && v !== '' ? v.trim() : undefined;
  }
  const raw = headers.cookie;
  return cookieValue(Array.isArray(raw) ? raw.join('; ') : raw, settings.name);
}

/** The response header that hands the client its value: Set-Cookie, or the session header. */
export function affinityHeader(settings: CompiledAffinity, value: string, clientSecure: boolean): { name: string; value: string } {
  return settings.carrier === 'header' ? { name: settings.name, value } : { name: 'Set-Cookie', value: affinityCookie(settings, value, clientSecure) };
}

/**
 * What a value named: the endpoint, whether the previous key (in its grace period) signed it,
 * and a v2 value's end (base-36 unix seconds), which its re-signed value keeps.
 */
export interface AffinityMatch {
  endpoint: Endpoint;
  previousKey: boolean;
  expiry?: string;
}

export interface AffinityCodecOptions {
  /** How long cookies of the previous key stay valid after a key change (ms). */
  graceMs: number;
  /** The clock (tests inject one). */
  now?: () => number;
}

export class AffinityCodec {
  private current: SigningKey;
  /** The key before the last change, honoured until `until` (ms since the epoch). */
  private previous: { signing: SigningKey; until: number } | undefined;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(key: string | Buffer, opts: AffinityCodecOptions = { graceMs: 0 }) {
    this.graceMs = opts.graceMs;
    this.now = opts.now ?? Date.now;
    this.current = new SigningKey(checkedKey(key), this.now);
  }

  /**
   * Signs with `key` from now on; the key it replaces verifies for the grace period. False (and
   * nothing changes) when `key` is the current key: a re-read of an unchanged file or Secret.
   */
  setKey(key: string | Buffer): boolean {
    const next = checkedKey(key);
    if (next.equals(this.current.key)) return false;
    this.previous = this.graceMs > 0 ? { signing: this.current, until: this.now() + this.graceMs } : undefined;
    this.current = new SigningKey(next, this.now);
    return true;
  }

  /** A new value for `endpoint`, signed with the current key; `expiry`: the end it keeps (see AffinityMatch). */
  valueFor(route: CompiledRoute, endpoint: Endpoint, expiry?: string): string {
    return this.current.valueFor(route, endpoint, expiry);
  }

  /** The eligible endpoint a value names, or undefined (forged, stale, expired, left, or of a key past its grace). */
  match(route: CompiledRoute, value: string): AffinityMatch | undefined {
    const read = this.current.read(route, value);
    if (read) return { ...read, previousKey: false };
    const previous = this.previous;
    if (!previous) return undefined;
    if (this.now() >= previous.until) {
      // Past its grace: forgotten, so its indexes go too.
      this.previous = undefined;
      return undefined;
    }
    const old = previous.signing.read(route, value);
    return old ? { ...old, previousKey: true } : undefined;
  }

  endpointFor(route: CompiledRoute, value: string): Endpoint | undefined {
    return this.match(route, value)?.endpoint;
  }
}

function checkedKey(key: string | Buffer): Buffer {
  const buf = Buffer.isBuffer(key) ? key : Buffer.from(key);
  if (buf.length === 0) throw new Error('the affinity key must not be empty');
  return buf;
}

/** The Set-Cookie header naming `value`; Secure when asked, or on `auto` for TLS clients. */
export function affinityCookie(settings: CompiledAffinity, value: string, clientSecure: boolean): string {
  let cookie = `${settings.name}=${value}; Path=${settings.path}; HttpOnly; SameSite=${settings.sameSite}`;
  if (settings.maxAgeSeconds !== undefined) cookie += `; Max-Age=${settings.maxAgeSeconds}`;
  const secure = settings.sameSite === 'None' || settings.secure === 'true' || (settings.secure === 'auto' && clientSecure);
  if (secure) cookie += '; Secure';
  return cookie;
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
