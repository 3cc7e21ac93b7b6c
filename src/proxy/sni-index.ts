// Server certificates by SNI name, built once per routing table, so a certificate change is a
// table swap: new handshakes get the new certificate, established connections keep theirs.

import type tls from 'node:tls';
import { matchesSuffix, wildcardSuffix } from '../api/hostnames.js';
import { compareStrings } from '../api/string-order.js';
import type { RoutingTable } from '../routing/table.js';
import type { CompiledRoute } from '../routing/types.js';

export interface SniIndex {
  lookup(servername: string): tls.SecureContext | undefined;
  /**
   * What a handshake naming `servername` (undefined: no SNI) is served, as a key: equal keys
   * may share a connection, different ones may not (the misdirected stage's 421).
   */
  servedBy(servername: string | undefined): string;
}

/** A certificate and what it stands for: its Secret (--tls-listen) or its Gateway listener's hostname. */
interface Served {
  readonly context: tls.SecureContext;
  readonly key: string;
}

/** The key of the default certificate (clients without SNI, names nothing else covers). */
const DEFAULT_KEY = '';

const indexes = new WeakMap<RoutingTable, SniIndex>();

/**
 * Certificates by host: exact names, then wildcards (longest suffix first, one or more labels),
 * then the default. The compile refuses a second certificate for a host (routing/tls-host-conflicts.ts);
 * routes naming the same Secret for it share it, so which of them comes first does not matter.
 */
export function sniIndex(table: RoutingTable, fallback: tls.SecureContext | undefined): SniIndex {
  const cached = indexes.get(table);
  if (cached && (cached as SniIndexImpl).fallback?.context === fallback) return cached;
  const exact = new Map<string, Served>();
  const wild = new Map<string, Served>();
  const routes = [...table.routes].sort((a, b) => compareStrings(a.key, b.key));
  const clientCas = clientCasByHost(routes);
  for (const r of routes) {
    if (!r.tls) continue;
    // Routes with one Secret share its certificate: a connection may carry all their hosts.
    for (const host of r.hosts) addFirst(exact, wild, host, { context: contextFor(r.tls, clientCas.get(host)), key: `secret:${r.tls.secret}` });
  }
  const index = new SniIndexImpl(exact, bySuffixLength(wild), fallback ? { context: fallback, key: DEFAULT_KEY } : undefined);
  indexes.set(table, index);
  return index;
}

/**
 * The union CA bundle of the routes with client certificate validation on each host: the
 * handshake verifies against it, and the admission stage then checks the chain against the
 * bundle of the route a request matched (admission/guard.ts).
 */
function clientCasByHost(routes: readonly CompiledRoute[]): Map<string, string> {
  const byHost = new Map<string, Set<string>>();
  for (const r of routes) {
    const pem = r.security?.clientValidation?.caPem;
    if (pem === undefined) continue;
    for (const host of r.hosts) {
      const set = byHost.get(host) ?? new Set<string>();
      byHost.set(host, set.add(pem.trim()));
    }
  }
  return new Map([...byHost].map(([host, pems]) => [host, [...pems].sort(compareStrings).join('\n')]));
}

/** The route's certificate, trusting `clientCa` for client certificates when its host has one. */
function contextFor(t: NonNullable<CompiledRoute['tls']>, clientCa: string | undefined): tls.SecureContext {
  if (clientCa === undefined || !t.withClientCa) return t.context;
  try {
    return t.withClientCa(clientCa);
  } catch {
    // Parsed by the compile already. Should OpenSSL refuse it all the same, the plain context
    // verifies against other anchors, and the route's own check (its anchors) fails closed.
    return t.context;
  }
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
  const exact = new Map<string, Served>();
  const wild = new Map<string, Served>();
  // Keyed by listener, not by Secret: listeners that share a certificate are still apart
  // (Gateway API: a request for another listener's hostname is misdirected).
  for (const c of certs) {
    const host = c.hostname.toLowerCase();
    if (host !== '') addFirst(exact, wild, host, { context: c.context, key: `listener:${host}` });
  }
  const fallback = defaultCertificate(certs);
  const served = fallback && { context: fallback.context, key: fallback.hostname === '' ? DEFAULT_KEY : `listener:${fallback.hostname.toLowerCase()}` };
  return new SniIndexImpl(exact, bySuffixLength(wild), served);
}

/** Files a certificate under an exact name or a wildcard's suffix, unless one is there already. */
function addFirst(exact: Map<string, Served>, wild: Map<string, Served>, host: string, served: Served): void {
  const suffix = wildcardSuffix(host);
  const [map, key] = suffix === undefined ? [exact, host] : [wild, suffix];
  if (!map.has(key)) map.set(key, served);
}

function bySuffixLength(wild: Map<string, Served>): Array<[string, Served]> {
  return [...wild].sort((a, b) => b[0].length - a[0].length);
}

class SniIndexImpl implements SniIndex {
  constructor(
    private readonly exact: Map<string, Served>,
    private readonly wild: Array<[string, Served]>,
    readonly fallback: Served | undefined,
  ) {}

  lookup(servername: string): tls.SecureContext | undefined {
    return this.find(servername)?.context;
  }

  servedBy(servername: string | undefined): string {
    // No SNI: the handshake got the default certificate, as a name nothing covers does.
    return (servername === undefined ? this.fallback : this.find(servername))?.key ?? DEFAULT_KEY;
  }

  private find(servername: string): Served | undefined {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const hit = this.exact.get(name);
    if (hit) return hit;
    for (const [suffix, served] of this.wild) {
      if (matchesSuffix(name, suffix)) return served;
    }
    return this.fallback;
  }
}
