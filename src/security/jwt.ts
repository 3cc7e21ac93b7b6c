// JWT authentication of the upgrade request, with `jose`. Keys come from a Secret (or a file in
// standalone mode): PEM public keys or certificates (several for rotation), a JWKS document, or
// an HMAC shared secret. Each form is typed when compiled, so a public key can never be used
// as an HMAC secret (algorithm confusion), and `none` is never accepted.

import { createPublicKey, createSecretKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { parseDuration } from '../api/duration.js';
import type { JwtAuth } from '../api/types.js';
import { verifyHmacFast } from './jwt-hmac.js';

export type JwtKeys =
  | { kind: 'pem'; keys: KeyObject[] }
  | { kind: 'hmac'; key: KeyObject; getKey: JWTVerifyGetKey }
  | { kind: 'jwks'; getKey: JWTVerifyGetKey };

export type TokenSource = 'header' | 'query' | 'subprotocol';

export interface JwtVerifier {
  readonly keys: JwtKeys;
  readonly options: JWTVerifyOptions;
  readonly query: string | undefined;
  readonly subprotocolPrefix: string | undefined;
  readonly requiredClaims: ReadonlyArray<readonly [string, readonly string[]]>;
  /** Claim -> lower-cased header name. */
  readonly forwardClaims: ReadonlyArray<readonly [string, string]>;
  /** The header names of forwardClaims: a client's Connection cannot remove them. */
  readonly claimHeaders: ReadonlySet<string>;
}

export type VerifyResult = { ok: true; claims: JWTPayload } | { ok: false; description: string };

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;
const MIN_HMAC_BYTES = 32;
const MAX_TOKEN_LENGTH = 8192;

/** Reads the key material; the message of a failure names no key bytes. */
export function parseJwtKeys(data: Buffer): { ok: true; keys: JwtKeys } | { ok: false; message: string } {
  const text = data.toString('utf8').trim();
  if (text.startsWith('{')) return parseJwks(text);
  if (text.includes('-----BEGIN ')) return parsePem(text);
  // An HMAC secret: the bytes as stored, less one trailing newline an editor or `echo` added.
  let secret = data;
  if (secret.at(-1) === 0x0a) secret = secret.subarray(0, secret.at(-2) === 0x0d ? -2 : -1);
  if (secret.length < MIN_HMAC_BYTES) {
    return { ok: false, message: `the key is neither PEM nor JWKS, and too short (${secret.length} bytes) for an HMAC secret: use at least ${MIN_HMAC_BYTES} bytes` };
  }
  const bytes = new Uint8Array(secret);
  const key = createSecretKey(bytes);
  return { ok: true, keys: { kind: 'hmac', key, getKey: hmacKeys(bytes, key) } };
}

function parseJwks(text: string): { ok: true; keys: JwtKeys } | { ok: false; message: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the key looks like JSON but does not parse' };
  }
  const set = (doc !== null && typeof doc === 'object' && Array.isArray((doc as JSONWebKeySet).keys) ? doc : { keys: [doc] }) as JSONWebKeySet;
  if (set.keys.length === 0) return { ok: false, message: 'the JWKS has no keys' };
  if (set.keys.some((k) => k === null || typeof k !== 'object' || 'd' in k || k.kty === 'oct')) {
    return { ok: false, message: 'the JWKS must hold public keys only (no "d", no symmetric "oct" keys)' };
  }
  try {
    return { ok: true, keys: { kind: 'jwks', getKey: createLocalJWKSet(set) } };
  } catch (err) {
    return { ok: false, message: `the JWKS is invalid: ${(err as Error).message}` };
  }
}

const HMAC_HASH: Readonly<Record<string, string>> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

/**
 * For jose, which verifies what jwt-hmac.ts leaves (every refusal, and unusual tokens):
 * the secret as a WebCrypto key per HS algorithm, imported on its first use and kept: given the
 * bytes, jose imports them again on every verification (about 35 µs of CPU per upgrade of
 * 70, measured on Node 24). A token of any other algorithm gets the bytes, which jose refuses
 * for it as before (no algorithm confusion).
 */
function hmacKeys(secret: Uint8Array, keyObject: KeyObject): JWTVerifyGetKey {
  // Node's webcrypto.CryptoKey is the DOM CryptoKey jose takes; their typings differ only in usages.
  const imported = new Map<string, CryptoKey>();
  return ({ alg }) => {
    const hash = alg === undefined ? undefined : HMAC_HASH[alg];
    if (!hash) return secret;
    let key = imported.get(alg);
    if (!key) imported.set(alg, (key = keyObject.toCryptoKey({ name: 'HMAC', hash }, false, ['verify']) as unknown as CryptoKey));
    return key;
  };
}

function parsePem(text: string): { ok: true; keys: JwtKeys } | { ok: false; message: string } {
  const keys: KeyObject[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1]!;
    if (label.includes('PRIVATE')) return { ok: false, message: 'the key holds a private key; give wsgate only the public key' };
    try {
      keys.push(label === 'CERTIFICATE' ? new X509Certificate(m[0]).publicKey : createPublicKey(m[0]));
    } catch {
      return { ok: false, message: `a PEM block (${label}) does not parse as a public key` };
    }
  }
  if (keys.length === 0) return { ok: false, message: 'no complete PEM block found' };
  return { ok: true, keys: { kind: 'pem', keys } };
}

export function compileJwtVerifier(spec: JwtAuth, keys: JwtKeys): JwtVerifier {
  const options: JWTVerifyOptions = { clockTolerance: parseDuration(spec.clockSkew ?? '30s') / 1000 };
  if (spec.issuer) options.issuer = spec.issuer;
  if (spec.audiences?.length) options.audience = spec.audiences;
  if (spec.algorithms?.length) options.algorithms = spec.algorithms;
  // jose checks exp only when present; Envoy's require_expiration refuses a token without it.
  if (spec.requireExpiration) options.requiredClaims = ['exp'];
  return {
    keys,
    options,
    query: spec.tokenFrom?.query,
    subprotocolPrefix: spec.tokenFrom?.subprotocolPrefix,
    requiredClaims: Object.entries(spec.requiredClaims ?? {}),
    forwardClaims: Object.entries(spec.forwardClaims ?? {}).map(([claim, header]) => [claim, header.toLowerCase()] as const),
    claimHeaders: new Set(Object.values(spec.forwardClaims ?? {}).map((header) => header.toLowerCase())),
  };
}

/** Where the token is: Authorization Bearer first, then the subprotocol entry, then the query. */
export function findToken(
  v: JwtVerifier,
  headers: { authorization?: string; 'sec-websocket-protocol'?: string },
  query: (name: string) => string | undefined,
): { token: string; source: TokenSource } | null {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer +(\S+) *$/i.exec(auth);
    if (m) return { token: m[1]!, source: 'header' };
  }
  if (v.subprotocolPrefix && headers['sec-websocket-protocol']) {
    for (const entry of headers['sec-websocket-protocol'].split(',')) {
      const p = entry.trim();
      if (p.startsWith(v.subprotocolPrefix) && p.length > v.subprotocolPrefix.length) {
        return { token: p.slice(v.subprotocolPrefix.length), source: 'subprotocol' };
      }
    }
  }
  if (v.query) {
    const t = query(v.query);
    if (t) return { token: t, source: 'query' };
  }
  return null;
}

/** Verifies signature, expiry, issuer and audience. The description is safe to send to the client. */
export async function verifyToken(v: JwtVerifier, token: string): Promise<VerifyResult> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, description: 'token too long' };
  const { keys, options } = v;
  if (keys.kind === 'jwks') return attempt(() => jwtVerify(token, keys.getKey, options));
  if (keys.kind === 'hmac') {
    // A valid token of the usual form without WebCrypto (jwt-hmac.ts); anything else, jose.
    const claims = verifyHmacFast(token, keys.key, options, Math.floor(Date.now() / 1000));
    if (claims) return { ok: true, claims };
    return attempt(() => jwtVerify(token, keys.getKey, options));
  }
  let last: VerifyResult & { retry?: boolean } = { ok: false, description: 'no key matches the token' };
  // Several PEM keys (rotation): the first whose type fits and whose signature verifies.
  for (const key of keys.keys) {
    last = await attempt(() => jwtVerify(token, key, options));
    if (last.ok || !last.retry) return last;
  }
  return { ok: false, description: last.description };
}

async function attempt(run: () => Promise<{ payload: JWTPayload }>): Promise<VerifyResult & { retry?: boolean }> {
  try {
    return { ok: true, claims: (await run()).payload };
  } catch (err) {
    return describeError(err);
  }
}

function describeError(err: unknown): { ok: false; description: string; retry?: boolean } {
  if (err instanceof errors.JWTExpired) return { ok: false, description: 'token expired' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    return { ok: false, description: err.reason === 'missing' ? `${err.claim} claim missing` : `${err.claim} claim check failed` };
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, description: 'signature verification failed', retry: true };
  if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, description: 'algorithm not allowed' };
  if (err instanceof errors.JWKSNoMatchingKey) return { ok: false, description: 'no key matches the token' };
  if (err instanceof errors.JOSENotSupported) return { ok: false, description: 'no key matches the token', retry: true };
  if (err instanceof errors.JOSEError) return { ok: false, description: 'malformed token' };
  // A key of another type than the token's algorithm: WebCrypto refuses it (DOMException, TypeError).
  return { ok: false, description: 'no key matches the token', retry: true };
}

/** The first required claim the token does not satisfy, or null. */
export function unmetClaim(claims: JWTPayload, required: JwtVerifier['requiredClaims']): string | null {
  for (const [name, accepted] of required) {
    if (!claimMatches(claims[name], accepted)) return name;
  }
  return null;
}

function claimMatches(value: unknown, accepted: readonly string[]): boolean {
  if (typeof value === 'string') return accepted.includes(value) || value.split(/\s+/).some((w) => accepted.includes(w));
  if (typeof value === 'number' || typeof value === 'boolean') return accepted.includes(String(value));
  if (Array.isArray(value)) return value.some((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && accepted.includes(String(v)));
  return false;
}
