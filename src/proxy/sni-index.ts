// Server certificates by SNI name, built once per routing table, so a certificate change is a
// table swap: new handshakes get the new certificate, established connections keep theirs.

import type tls from 'node:tls';
import { matchesSuffix, wildcardSuffix } from '../api/hostnames.js';
import { compareStrings } from '../api/string-order.js';
import type { RoutingTable } from '../routing/table.js';

export interface SniIndex {
  lookup(servername: string): tls.SecureContext | undefined;
}

const indexes = new WeakMap<RoutingTable, SniIndex>();

/**
 * Certificates by host: exact names, then wildcards (longest suffix first, one or more labels),
 * then the default. The compile refuses a second certificate for a host (routing/tls-host-conflicts.ts);
 * routes naming the same Secret for it share it, so which of them comes first does not matter.
 */
export function sniIndex(table: RoutingTable, fallback: tls.SecureContext | undefined): SniIndex {
  const cached = indexes.get(table);
  if (cached && (cached as SniIndexImpl).fallback === fallback) return cached;
  const exact = new Map<string, tls.SecureContext>();
  const wild = new Map<string, tls.SecureContext>();
  const routes = [...table.routes].sort((a, b) => compareStrings(a.key, b.key));
  for (const r of routes) {
    if (!r.tls) continue;
    for (const host of r.hosts) addFirst(exact, wild, host, r.tls.context);
  }
  const index = new SniIndexImpl(exact, [...wild].sort((a, b) => b[0].length - a[0].length), fallback);
  indexes.set(table, index);
  return index;
}

/**
 * The certificate of a Gateway socket for a name no listener hostname covers, and for clients
 * that send no SNI: the '' one (a listener without hostname), or without one the first.
 */
export function defaultCertificate<T extends { readonly hostname: string }>(certs: readonly T[]): T | undefined {
  return certs.find((c) => c.hostname === '') ?? certs[0];
}

/**
 * Certificates of one Gateway socket (its listeners' hostnames): exact, then wildcards (longest
 * suffix first), then defaultCertificate().
 */
export function certificateIndex(certs: ReadonlyArray<{ readonly hostname: string; readonly context: tls.SecureContext }>): SniIndex {
  const exact = new Map<string, tls.SecureContext>();
  const wild = new Map<string, tls.SecureContext>();
  for (const c of certs) {
    const host = c.hostname.toLowerCase();
    if (host !== '') addFirst(exact, wild, host, c.context);
  }
  return new SniIndexImpl(exact, [...wild].sort((a, b) => b[0].length - a[0].length), defaultCertificate(certs)?.context);
}

/** Files a certificate under an exact name or a wildcard's suffix, unless one is there already. */
function addFirst(exact: Map<string, tls.SecureContext>, wild: Map<string, tls.SecureContext>, host: string, context: tls.SecureContext): void {
  const suffix = wildcardSuffix(host);
  const [map, key] = suffix === undefined ? [exact, host] : [wild, suffix];
  if (!map.has(key)) map.set(key, context);
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
      if (matchesSuffix(name, suffix)) return ctx;
    }
    return this.fallback;
  }
}
