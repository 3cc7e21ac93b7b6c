// The common case of HMAC JWT verification without jose: a compact JWS whose header is only
// `alg` (HS256/384/512, allowed by the route) and plain fields, a valid signature, and claims
// that pass. jose verifies HMAC through WebCrypto (`subtle.verify`: a crypto job, a promise and
// a key-slot lookup per call), which took about 20% of wsgate's CPU per upgrade on a route with
// JWT auth (profile, issue 27); `createHmac` on the imported KeyObject costs a few µs.
//
// This path only ever ACCEPTS: it returns the claims when every check jose makes passes, and
// undefined otherwise, and then jose decides (so every refusal, and its description, is jose's,
// and anything unusual, such as `crit`, `b64`, a non-canonical encoding or an algorithm that is
// not HMAC, is jose's too). The key is an HMAC secret and only an HS* header selects it, so a
// public key can never be used as a secret here (algorithm confusion).

import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JWTPayload, JWTVerifyOptions } from 'jose';

/** The digest of each HMAC JWS algorithm (RFC 7518 §3.2). */
const NODE_HMAC: Readonly<Record<string, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** jose decodes with a fatal decoder too: a header or claims set that is not UTF-8 is refused. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The claims of a token jose would accept with `options`, or undefined: let jose decide. */
export function verifyHmacFast(token: string, key: KeyObject, options: JWTVerifyOptions, nowSeconds: number): JWTPayload | undefined {
  // Options wsgate never sets (compileJwtVerifier) are jose's to apply.
  if (options.subject !== undefined || options.typ !== undefined || options.maxTokenAge !== undefined || options.crit !== undefined || options.currentDate !== undefined) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  if (!isBase64url(encodedHeader) || !isBase64url(encodedPayload) || !isBase64url(encodedSignature)) return undefined;
  const header = decodeObject(encodedHeader);
  // `crit` and `b64` (RFC 7797) change how the token is read: jose's rules apply.
  if (!header || 'crit' in header || 'b64' in header) return undefined;
  const alg = header.alg;
  if (typeof alg !== 'string') return undefined;
  const hash = NODE_HMAC[alg];
  if (!hash || (options.algorithms && !options.algorithms.includes(alg))) return undefined;
  const expected = Buffer.from(createHmac(hash, key).update(`${encodedHeader}.${encodedPayload}`).digest('base64url'));
  const given = Buffer.from(encodedSignature);
  // A signature that is not the canonical encoding of the MAC: jose decides (it refuses it, or
  // accepts an encoding with other unused trailing bits).
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = decodeObject(encodedPayload) as JWTPayload | undefined;
  return claims && claimsPass(claims, options, nowSeconds) ? claims : undefined;
}

/** Unpadded base64url that decodes the same everywhere (a length of 4n+1 does not decode). */
function isBase64url(s: string): boolean {
  return s.length % 4 !== 1 && BASE64URL.test(s);
}

/** JSON of a plain object (jose's isObject: no array, no class instance), or undefined. */
function decodeObject(encoded: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(Buffer.from(encoded, 'base64url')));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

/**
 * jose's validateClaimsSet (6.x) for the options wsgate sets (compileJwtVerifier): the required
 * claims, issuer, audience, and iat/nbf/exp as numbers within the clock tolerance.
 */
function claimsPass(claims: JWTPayload, options: JWTVerifyOptions, now: number): boolean {
  const { issuer, audience, requiredClaims = [] } = options;
  for (const claim of requiredClaims) if (!Object.hasOwn(claims, claim)) return false;
  if (issuer !== undefined && !(Array.isArray(issuer) ? issuer : [issuer]).includes(claims.iss as string)) return false;
  if (audience !== undefined && !audiencePresent(claims.aud, typeof audience === 'string' ? [audience] : audience)) return false;
  const tolerance = typeof options.clockTolerance === 'number' ? options.clockTolerance : Number.NaN;
  // jose throws for a tolerance that is not a finite number >= 0: leave that to it.
  if (!Number.isFinite(tolerance) || tolerance < 0) return false;
  const { iat, nbf, exp } = claims;
  if (iat !== undefined && typeof iat !== 'number') return false;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + tolerance)) return false;
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now - tolerance)) return false;
  return true;
}

function audiencePresent(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  return Array.isArray(aud) && accepted.some((a) => aud.includes(a));
}
