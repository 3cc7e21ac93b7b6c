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
// The key can change while the process runs (a rotated Secret or key file): cookies signed with
// the previous key are still honoured for a grace period, so a rotation does not move every
// client at once, and a client presenting one gets a cookie signed with the new key. After the
// grace period the previous key is forgotten and its cookies are stale.

import { createHmac, randomBytes } from 'node:crypto';
import type { CompiledAffinity, CompiledRoute, Endpoint } from '../routing/types.js';

const VERSION = 'v1';

/** A key for one process when none is configured: 32 bytes, the HMAC-SHA-256 block's worth of strength. */
export function randomAffinityKey(): Buffer {
  return randomBytes(32);
}

/** One key and the cookie values it gives each route snapshot's endpoints. */
class SigningKey {
  /** Per table snapshot of a route: cookie value -> endpoint. Routes are immutable, so this never goes stale. */
  private readonly indexes = new WeakMap<CompiledRoute, Map<string, Endpoint>>();

  constructor(readonly key: Buffer) {}

  valueFor(route: CompiledRoute, endpoint: Endpoint): string {
    const mac = createHmac('sha256', this.key).update(`${route.namespace}\n${endpoint.id}`).digest();
    return `${VERSION}.${mac.subarray(0, 16).toString('base64url')}`;
  }

  endpointFor(route: CompiledRoute, value: string): Endpoint | undefined {
    let index = this.indexes.get(route);
    if (!index) {
      index = new Map(route.backend.eligible.map((e) => [this.valueFor(route, e), e]));
      this.indexes.set(route, index);
    }
    return index.get(value);
  }
}

/** What a cookie value named: the endpoint, and whether the previous key (in its grace period) signed it. */
export interface AffinityMatch {
  endpoint: Endpoint;
  previousKey: boolean;
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
    this.current = new SigningKey(checkedKey(key));
    this.graceMs = opts.graceMs;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Signs with `key` from now on; the key it replaces verifies for the grace period. False (and
   * nothing changes) when `key` is the current key: a re-read of an unchanged file or Secret.
   */
  setKey(key: string | Buffer): boolean {
    const next = checkedKey(key);
    if (next.equals(this.current.key)) return false;
    this.previous = this.graceMs > 0 ? { signing: this.current, until: this.now() + this.graceMs } : undefined;
    this.current = new SigningKey(next);
    return true;
  }

  valueFor(route: CompiledRoute, endpoint: Endpoint): string {
    return this.current.valueFor(route, endpoint);
  }

  /** The eligible endpoint a cookie value names, or undefined (forged, stale, left, or of a key past its grace). */
  match(route: CompiledRoute, value: string): AffinityMatch | undefined {
    const endpoint = this.current.endpointFor(route, value);
    if (endpoint) return { endpoint, previousKey: false };
    const previous = this.previous;
    if (!previous) return undefined;
    if (this.now() >= previous.until) {
      // Past its grace: forgotten, so its indexes go too.
      this.previous = undefined;
      return undefined;
    }
    const old = previous.signing.endpointFor(route, value);
    return old ? { endpoint: old, previousKey: true } : undefined;
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
