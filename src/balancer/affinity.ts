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

import { createHmac, randomBytes } from 'node:crypto';
import type { CompiledAffinity, CompiledRoute, Endpoint } from '../routing/types.js';

const VERSION = 'v1';

/** A key for one process when none is configured: 32 bytes, the HMAC-SHA-256 block's worth of strength. */
export function randomAffinityKey(): Buffer {
  return randomBytes(32);
}

export class AffinityCodec {
  private readonly key: Buffer;
  /** Per table snapshot of a route: cookie value -> endpoint. Routes are immutable, so this never goes stale. */
  private readonly indexes = new WeakMap<CompiledRoute, Map<string, Endpoint>>();

  constructor(key: string | Buffer) {
    this.key = Buffer.isBuffer(key) ? key : Buffer.from(key);
    if (this.key.length === 0) throw new Error('the affinity key must not be empty');
  }

  valueFor(route: CompiledRoute, endpoint: Endpoint): string {
    const mac = createHmac('sha256', this.key).update(`${route.namespace}\n${endpoint.id}`).digest();
    return `${VERSION}.${mac.subarray(0, 16).toString('base64url')}`;
  }

  /** The eligible endpoint a cookie value names, or undefined (forged, stale or left). */
  endpointFor(route: CompiledRoute, value: string): Endpoint | undefined {
    let index = this.indexes.get(route);
    if (!index) {
      index = new Map(route.backend.eligible.map((e) => [this.valueFor(route, e), e]));
      this.indexes.set(route, index);
    }
    return index.get(value);
  }
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
