// Two certificates for one TLS host: the TLS listener can present only one, so choosing either
// silently would hand some clients a certificate its owner never meant for them. The older route
// (creationTimestamp, then namespace/name) keeps the host's certificate and is told in its
// Accepted message; the newer is refused (Accepted=False, CertificateConflict). Routes naming the
// same Secret do not conflict; "*.example.com" and "a.example.com" are different SNI names. Pure.

import { compareStrings } from '../api/string-order.js';
import type { ValidEntry } from './compile-cache.js';

export const CERTIFICATE_CONFLICT_REASON = 'CertificateConflict';

export interface TlsHostConflicts {
  /** Route key -> why it is refused. */
  readonly refused: Map<string, string>;
  /** Route key of a route that keeps its certificate -> the conflicts it won, for its status. */
  readonly kept: Map<string, string>;
}

export function tlsHostConflicts(candidates: readonly ValidEntry[]): TlsHostConflicts {
  const refused = new Map<string, string>();
  const kept = new Map<string, string>();
  const withTls = candidates.filter((c) => c.raw.spec.tls !== undefined);
  if (withTls.length < 2) return { refused, kept };
  const order = [...withTls].sort((a, b) => compareStrings(a.created, b.created) || compareStrings(a.route.key, b.route.key));
  const holders = new Map<string, { key: string; secret: string }>();
  for (const c of order) {
    const secret = `${c.route.namespace}/${c.raw.spec.tls!.secretRef.name}`;
    const clash = c.route.hosts.find((h) => {
      const holder = holders.get(h);
      return holder !== undefined && holder.secret !== secret;
    });
    if (clash !== undefined) {
      const holder = holders.get(clash)!;
      refused.set(c.route.key, `TLS host "${clash}" already has the certificate of Secret ${holder.secret} (route ${holder.key}, older); this route's Secret ${secret} would be a second one`);
      const note = `its certificate for "${clash}" is contested by route ${c.route.key} (Secret ${secret}), which is refused`;
      const known = kept.get(holder.key);
      kept.set(holder.key, known ? `${known}; ${note}` : note);
      continue;
    }
    for (const h of c.route.hosts) if (!holders.has(h)) holders.set(h, { key: c.route.key, secret });
  }
  return { refused, kept };
}
