// Server certificates for the TLS listener. Compiling a route turns its kubernetes.io/tls Secret
// into a SecureContext (cached by content, so an unchanged certificate is not parsed again on
// every table compile); the SNI index is built once per routing table, so a certificate change
// is a table swap: new handshakes get the new certificate, established connections keep theirs.

import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type { RoutingTable } from '../routing/table.js';

export const MIN_TLS_VERSION = 'TLSv1.2';

const contexts = new Map<string, tls.SecureContext>();
const MAX_CACHED = 1024;

/** A SecureContext for a certificate chain and key (PEM); throws when they do not parse or match. */
export function serverContext(cert: Buffer | string, key: Buffer | string): tls.SecureContext {
  const id = createHash('sha256').update(cert).update('\u0000').update(key).digest('hex');
  const cached = contexts.get(id);
  if (cached) return cached;
  const ctx = tls.createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION });
  if (contexts.size >= MAX_CACHED) contexts.delete(contexts.keys().next().value!);
  contexts.set(id, ctx);
  return ctx;
}

/** Checks a kubernetes.io/tls Secret's data and builds its context; the message names no key bytes. */
export function contextFromSecret(data: Readonly<Record<string, Buffer>>): { ok: true; context: tls.SecureContext } | { ok: false; message: string } {
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (!cert || !key) return { ok: false, message: 'a TLS Secret needs the keys tls.crt and tls.key' };
  try {
    return { ok: true, context: serverContext(cert, key) };
  } catch (err) {
    return { ok: false, message: `tls.crt/tls.key cannot be used: ${(err as Error).message.replace(/\n/g, ' ')}` };
  }
}

export interface SniIndex {
  lookup(servername: string): tls.SecureContext | undefined;
}

const indexes = new WeakMap<RoutingTable, SniIndex>();

/**
 * Certificates by host: exact names, then wildcards (longest suffix first, one or more labels),
 * then the default. Where two routes name the same host, the first by namespace/name wins.
 */
export function sniIndex(table: RoutingTable, fallback: tls.SecureContext | undefined): SniIndex {
  const cached = indexes.get(table);
  if (cached && (cached as SniIndexImpl).fallback === fallback) return cached;
  const exact = new Map<string, tls.SecureContext>();
  const wild = new Map<string, tls.SecureContext>();
  const routes = [...table.routes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const r of routes) {
    if (!r.tls) continue;
    for (const host of r.hosts) {
      if (host.startsWith('*.')) {
        if (!wild.has(host.slice(1))) wild.set(host.slice(1), r.tls.context);
      } else if (!exact.has(host)) exact.set(host, r.tls.context);
    }
  }
  const index = new SniIndexImpl(exact, [...wild].sort((a, b) => b[0].length - a[0].length), fallback);
  indexes.set(table, index);
  return index;
}

class SniIndexImpl implements SniIndex {
  constructor(
    private readonly exact: Map<string, tls.SecureContext>,
    private readonly wild: Array<[string, tls.SecureContext]>,
    readonly fallback: tls.SecureContext | undefined,
  ) {}

  lookup(servername: string): tls.SecureContext | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const hit = this.exact.get(name);
    if (hit) return hit;
    for (const [suffix, ctx] of this.wild) {
      if (name.length > suffix.length && name.endsWith(suffix)) return ctx;
    }
    return this.fallback;
  }
}
