// A Gateway listener's tls.options (an implementation-specific map in the Gateway API) as a TLS
// policy. wsgate reads only the keys below; any other key, or a bad value, refuses the listener
// with the reason on its status, so an option a user believes applied is never silently ignored.

import { isTlsVersion, parseAlpn, policyProblem, type TlsPolicy } from '../api/tls-policy.js';

export const TLS_OPTION_KEYS = {
  minVersion: 'wsgate.io/min-version',
  maxVersion: 'wsgate.io/max-version',
  ciphers: 'wsgate.io/ciphers',
  ecdhCurves: 'wsgate.io/ecdh-curves',
  alpn: 'wsgate.io/alpn',
} as const;

const KNOWN = new Set<string>(Object.values(TLS_OPTION_KEYS));

export type TlsOptionsResult = { ok: true; policy: TlsPolicy | undefined } | { ok: false; message: string };

export function tlsOptionsPolicy(options: Readonly<Record<string, string>> | undefined): TlsOptionsResult {
  if (!options || Object.keys(options).length === 0) return { ok: true, policy: undefined };
  const unknown = Object.keys(options).filter((k) => !KNOWN.has(k)).sort();
  if (unknown.length) return { ok: false, message: `tls.options ${unknown.join(', ')} not supported (wsgate reads ${[...KNOWN].join(', ')})` };
  const policy: { -readonly [K in keyof TlsPolicy]: TlsPolicy[K] } = {};
  for (const field of ['minVersion', 'maxVersion'] as const) {
    const value = options[TLS_OPTION_KEYS[field]];
    if (value === undefined) continue;
    if (!isTlsVersion(value)) return { ok: false, message: `tls.options ${TLS_OPTION_KEYS[field]}: "${value}" is not TLSv1.2 or TLSv1.3` };
    policy[field] = value;
  }
  const ciphers = options[TLS_OPTION_KEYS.ciphers];
  if (ciphers !== undefined) policy.ciphers = ciphers;
  const curves = options[TLS_OPTION_KEYS.ecdhCurves];
  if (curves !== undefined) policy.ecdhCurves = curves;
  const alpn = options[TLS_OPTION_KEYS.alpn];
  if (alpn !== undefined) {
    const parsed = parseAlpn(alpn);
    if (!parsed.ok) return { ok: false, message: `tls.options ${TLS_OPTION_KEYS.alpn}: ${parsed.message}` };
    policy.alpn = parsed.alpn;
  }
  const problem = policyProblem(policy);
  return problem ? { ok: false, message: `tls.options: ${problem}` } : { ok: true, policy };
}
