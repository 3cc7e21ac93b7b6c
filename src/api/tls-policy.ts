// The TLS policy of a listener (docs/shared-clusters.md "TLS policy"): protocol versions, cipher
// suites and ECDH groups, from the --tls-* flags or a Gateway listener's tls.options. Names are
// checked here, once, against what this Node's OpenSSL offers, so a typo is refused at start (or
// on the Gateway's status) instead of silently weakening or breaking every handshake.

import tls from 'node:tls';
import { MIN_TLS_VERSION } from './defaults.js';

export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** Plain data (it travels in snapshots and to worker threads). Absent fields: Node's defaults. */
export interface TlsPolicy {
  readonly minVersion?: TlsVersion;
  readonly maxVersion?: TlsVersion;
  /** OpenSSL suite names joined by ':' (TLS 1.2 names and TLS_* 1.3 names alike). */
  readonly ciphers?: string;
  /** ECDH groups joined by ':' (e.g. X25519:P-256), in preference order. */
  readonly ecdhCurves?: string;
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
