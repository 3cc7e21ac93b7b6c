// The TLS policy of a listener (docs/shared-clusters.md "TLS policy"): protocol versions, cipher
// suites and ECDH groups, from the --tls-* flags or a Gateway listener's tls.options. Names are
// checked here, once, against what this Node's OpenSSL offers, so a typo is refused at start (or
// on the Gateway's status) instead of silently weakening or breaking every handshake.

import tls from 'node:tls';
import { DEFAULT_ALPN, MIN_TLS_VERSION } from './defaults.js';

export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** The application protocols wsgate speaks over TLS. */
export const ALPN_PROTOCOLS = ['h2', 'http/1.1'] as const;
export type AlpnProtocol = (typeof ALPN_PROTOCOLS)[number];

/** Plain data (it travels in snapshots and to worker threads). Absent fields: Node's defaults. */
export interface TlsPolicy {
  readonly minVersion?: TlsVersion;
  readonly maxVersion?: TlsVersion;
  /** OpenSSL suite names joined by ':' (TLS 1.2 names and TLS_* 1.3 names alike). */
  readonly ciphers?: string;
  /** ECDH groups joined by ':' (e.g. X25519:P-256), in preference order. */
  readonly ecdhCurves?: string;
  /** ALPN protocols offered, preferred first (absent: DEFAULT_ALPN, h2 then http/1.1). */
  readonly alpn?: readonly AlpnProtocol[];
}

export function isTlsVersion(value: string): value is TlsVersion {
  return (TLS_VERSIONS as readonly string[]).includes(value);
}

function names(list: string): string[] {
  return list.split(':').map((s) => s.trim()).filter(Boolean);
}

/** Why a cipher list is refused, or undefined. Only suite names: OpenSSL keywords (HIGH, !aNULL) would hide what is really offered. */
export function cipherProblem(list: string): string | undefined {
  const known = new Set(tls.getCiphers());
  const given = names(list);
  if (given.length === 0) return 'the cipher list is empty';
  const unknown = given.filter((c) => !known.has(c.toLowerCase()));
  return unknown.length ? `unknown cipher suite ${unknown.join(', ')} (OpenSSL names, e.g. ECDHE-RSA-AES128-GCM-SHA256, TLS_AES_128_GCM_SHA256)` : undefined;
}

/** Why a curve list is refused, or undefined: each name must be a group this OpenSSL can set. */
export function curveProblem(list: string): string | undefined {
  const given = names(list);
  if (given.length === 0) return 'the ECDH curve list is empty';
  const unknown = given.filter((curve) => {
    try {
      tls.createSecureContext({ ecdhCurve: curve });
      return false;
    } catch {
      return true;
    }
  });
  return unknown.length ? `unknown ECDH curve ${unknown.join(', ')} (e.g. X25519, P-256, P-384)` : undefined;
}

/**
 * An ALPN list ("h2,http/1.1") as protocols, or why it is refused: only protocols wsgate
 * speaks, each once, and always http/1.1 (WebSocket clients without RFC 8441 need it).
 */
export function parseAlpn(list: string): { ok: true; alpn: AlpnProtocol[] } | { ok: false; message: string } {
  const given = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (given.length === 0) return { ok: false, message: 'the ALPN list is empty' };
  const unknown = given.filter((p) => !(ALPN_PROTOCOLS as readonly string[]).includes(p));
  if (unknown.length) return { ok: false, message: `unknown ALPN protocol ${unknown.join(', ')} (wsgate speaks ${ALPN_PROTOCOLS.join(', ')})` };
  if (new Set(given).size !== given.length) return { ok: false, message: `an ALPN protocol is listed twice in "${list}"` };
  if (!given.includes('http/1.1')) return { ok: false, message: 'the ALPN list must offer http/1.1: WebSocket clients without RFC 8441 and HTTP/1.1-only clients need it' };
  return { ok: true, alpn: given as AlpnProtocol[] };
}

/** The ALPN protocols a listener with policy `p` offers. */
export function alpnOf(p: TlsPolicy | undefined): readonly AlpnProtocol[] {
  return p?.alpn ?? DEFAULT_ALPN;
}

/** Why a whole policy is refused, or undefined. */
export function policyProblem(p: TlsPolicy): string | undefined {
  if (p.minVersion && p.maxVersion && TLS_VERSIONS.indexOf(p.minVersion) > TLS_VERSIONS.indexOf(p.maxVersion)) {
    return `the minimum version ${p.minVersion} is above the maximum ${p.maxVersion}`;
  }
  return (p.ciphers !== undefined ? cipherProblem(p.ciphers) : undefined) ?? (p.ecdhCurves !== undefined ? curveProblem(p.ecdhCurves) : undefined);
}

/** The policy as tls.createServer / createSecureContext options (never below MIN_TLS_VERSION). */
export function secureOptions(p: TlsPolicy | undefined): Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'ecdhCurve'> {
  return {
    minVersion: p?.minVersion ?? MIN_TLS_VERSION,
    ...(p?.maxVersion ? { maxVersion: p.maxVersion } : {}),
    ...(p?.ciphers ? { ciphers: names(p.ciphers).join(':') } : {}),
    ...(p?.ecdhCurves ? { ecdhCurve: names(p.ecdhCurves).join(':') } : {}),
  };
}

/** `over` field by field on top of `base` (a Gateway listener's options over the process flags). */
export function mergePolicy(base: TlsPolicy | undefined, over: TlsPolicy | undefined): TlsPolicy | undefined {
  if (!base) return over;
  if (!over) return base;
  return { ...base, ...over };
}
