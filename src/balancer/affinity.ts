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

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { CompiledAffinity, CompiledRoute, Endpoint } from '../routing/types.js';

const VERSION = 'v1';
const EXPIRING = 'v2';

/** A key for one process when none is configured: 32 bytes, the HMAC-SHA-256 block's worth of strength. */
export function randomAffinityKey(): Buffer {
  return randomBytes(32);
}

export class AffinityCodec {
  private readonly key: Buffer;
  /** Per table snapshot of a route: cookie value -> endpoint. Routes are immutable, so this never goes stale. */
  private readonly indexes = new WeakMap<CompiledRoute, Map<string, Endpoint>>();

  /** `nowMs`: the clock expiring values are issued and checked against. */
  constructor(key: string | Buffer, private readonly nowMs: () => number = Date.now) {
    this.key = Buffer.isBuffer(key) ? key : Buffer.from(key);
    if (this.key.length === 0) throw new Error('the affinity key must not be empty');
  }

  /** The value naming `endpoint` on `route`; with an absolute timeout, one that ends then. */
  valueFor(route: CompiledRoute, endpoint: Endpoint): string {
    const tag = this.tagFor(route, endpoint);
    const timeout = route.affinity?.absoluteTimeoutSeconds;
    if (timeout === undefined) return `${VERSION}.${tag}`;
    const expiry = (Math.floor(this.nowMs() / 1000) + timeout).toString(36);
    return `${EXPIRING}.${tag}.${expiry}.${this.signature(tag, expiry).toString('base64url')}`;
  }

  /** The eligible endpoint a value names, or undefined (forged, stale, expired or left). */
  endpointFor(route: CompiledRoute, value: string): Endpoint | undefined {
    const tag = route.affinity?.absoluteTimeoutSeconds === undefined ? this.plainTag(value) : this.unexpiredTag(value);
    if (tag === undefined) return undefined;
    let index = this.indexes.get(route);
    if (!index) {
      index = new Map(route.backend.eligible.map((e) => [this.tagFor(route, e), e]));
      this.indexes.set(route, index);
    }
    return index.get(tag);
  }

  private tagFor(route: CompiledRoute, endpoint: Endpoint): string {
    return createHmac('sha256', this.key).update(`${route.namespace}\n${endpoint.id}`).digest().subarray(0, 16).toString('base64url');
  }

  private signature(tag: string, expiry: string): Buffer {
    return createHmac('sha256', this.key).update(`${EXPIRING}\n${tag}\n${expiry}`).digest().subarray(0, 12);
  }

  private plainTag(value: string): string | undefined {
    return value.startsWith(`${VERSION}.`) ? value.slice(VERSION.length + 1) : undefined;
  }

  private unexpiredTag(value: string): string | undefined {
    const [version, tag, expiry, signature] = value.split('.');
    if (version !== EXPIRING || !tag || !expiry || !signature || !/^[0-9a-z]{1,11}$/.test(expiry)) return undefined;
    const given = Buffer.from(signature, 'base64url');
    const want = this.signature(tag, expiry);
    // Decoding ignores stray characters: only the canonical spelling of the signature counts.
    if (given.length !== want.length || given.toString('base64url') !== signature || !timingSafeEqual(given, want)) return undefined;
    return parseInt(expiry, 36) * 1000 > this.nowMs() ? tag : undefined;
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
