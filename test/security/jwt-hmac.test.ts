import assert from 'node:assert/strict';
import { createHmac, createSecretKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { verifyHmacFast } from '../../src/security/jwt-hmac.js';
import { compileJwtVerifier, parseJwtKeys, verifyToken } from '../../src/security/jwt.js';

const secret = Buffer.from('0123456789abcdef0123456789abcdef');
const key = createSecretKey(secret);
const now = Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const mac = (alg: string, input: string, k: Buffer = secret) => createHmac(`sha${alg.slice(2)}`, k).update(input).digest('base64url');

/** A compact JWS from a header and claims as given (no library: malformed ones too). */
function token(header: unknown, claims: unknown, opts: { alg?: string; key?: Buffer; signature?: string } = {}): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${opts.signature ?? mac(opts.alg ?? 'HS256', input, opts.key)}`;
}

const good = { iss: 'https://id.test', aud: 'chat', sub: 'u1', iat: now, exp: now + 300 };

/** A valid token whose signature has a '-' or '_' (about 3 in 4 do), written in base64 instead. */
function base64Signature(): string {
  for (let n = 0; n < 64; n++) {
    const t = token({ alg: 'HS256', typ: 'JWT' }, { ...good, n });
    const cut = t.lastIndexOf('.') + 1;
    const signature = t.slice(cut);
    if (/[-_]/.test(signature)) return t.slice(0, cut) + signature.replace(/-/g, '+').replace(/_/g, '/');
  }
  throw new Error('no signature with - or _ in 64 tokens');
}
const hs256 = { alg: 'HS256', typ: 'JWT' };
// The options compileJwtVerifier builds for { issuer, audiences, algorithms, requireExpiration }.
const options: JWTVerifyOptions = { clockTolerance: 30, issuer: 'https://id.test', audience: ['chat'], algorithms: ['HS256', 'HS384', 'HS512'], requiredClaims: ['exp'] };

/**
 * Who decides: `fast` this path accepts it (and jose would too), `jose` this path leaves it and
 * jose accepts it, `refused` jose refuses it. One reason each.
 */
type Outcome = 'fast' | 'jose' | 'refused';
const CASES: ReadonlyArray<readonly [string, string, Outcome]> = [
  ['valid HS256', token(hs256, good), 'fast'],
  ['valid HS384', token({ alg: 'HS384' }, good, { alg: 'HS384' }), 'fast'],
  ['valid HS512, aud array', token({ alg: 'HS512' }, { ...good, aud: ['other', 'chat'] }, { alg: 'HS512' }), 'fast'],
  ['another secret', token(hs256, good, { key: Buffer.from('fedcba9876543210fedcba9876543210') }), 'refused'],
  ['alg none', `${b64({ alg: 'none' })}.${b64(good)}.`, 'refused'],
  ['alg none with a MAC', token({ alg: 'none' }, good), 'refused'],
  ['alg RS256 with a MAC', token({ alg: 'RS256' }, good), 'refused'],
  ['alg missing', token({ typ: 'JWT' }, good), 'refused'],
  ['alg not a string', token({ alg: ['HS256'] }, good), 'refused'],
  ['HS256 header, HS512 MAC', token(hs256, good, { alg: 'HS512' }), 'refused'],
  ['crit b64', token({ alg: 'HS256', crit: ['b64'], b64: true }, good), 'jose'],
  ['crit unknown', token({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }, good), 'refused'],
  ['b64 false', token({ alg: 'HS256', crit: ['b64'], b64: false }, good), 'refused'],
  ['header an array', token([hs256], good), 'refused'],
  ['header not JSON', token('{alg', good), 'refused'],
  ['payload not JSON', token(hs256, 'claims'), 'refused'],
  ['payload an array', token(hs256, [good]), 'refused'],
  ['payload null', token(hs256, null), 'refused'],
  ['expired', token(hs256, { ...good, exp: now - 60 }), 'refused'],
  ['expired within the tolerance', token(hs256, { ...good, exp: now - 10 }), 'fast'],
  ['exp missing (required)', token(hs256, { iss: good.iss, aud: good.aud }), 'refused'],
  ['exp a string', token(hs256, { ...good, exp: String(now + 300) }), 'refused'],
  ['nbf in the future', token(hs256, { ...good, nbf: now + 120 }), 'refused'],
  ['nbf within the tolerance', token(hs256, { ...good, nbf: now + 10 }), 'fast'],
  ['nbf a string', token(hs256, { ...good, nbf: 'soon' }), 'refused'],
  ['iat a string', token(hs256, { ...good, iat: 'now' }), 'refused'],
  ['iss wrong', token(hs256, { ...good, iss: 'https://evil.test' }), 'refused'],
  ['iss missing', token(hs256, { aud: good.aud, exp: good.exp }), 'refused'],
  ['aud wrong', token(hs256, { ...good, aud: 'other' }), 'refused'],
  ['aud missing', token(hs256, { iss: good.iss, exp: good.exp }), 'refused'],
  ['aud array without chat', token(hs256, { ...good, aud: ['a', 'b'] }), 'refused'],
  ['two parts', `${b64(hs256)}.${b64(good)}`, 'refused'],
  ['four parts', `${token(hs256, good)}.x`, 'refused'],
  ['signature with padding', `${token(hs256, good)}=`, 'jose'],
  ['signature in base64, not base64url', base64Signature(), 'refused'],
  ['signature cut', token(hs256, good).slice(0, -2), 'refused'],
  ['payload of 4n+1 characters, signed', (() => {
    // Node's decoder drops a lone last character; jose's refuses the segment.
    const p = b64(good);
    const input = `${b64(hs256)}.${p}${'A'.repeat((5 - (p.length % 4)) % 4 || 4)}`;
    return `${input}.${mac('HS256', input)}`;
  })(), 'refused'],
  ['header not UTF-8', (() => {
    const h = Buffer.concat([Buffer.from('{"alg":"HS256","x":"'), Buffer.from([0xff]), Buffer.from('"}')]).toString('base64url');
    const input = `${h}.${b64(good)}`;
    return `${input}.${mac('HS256', input)}`;
  })(), 'refused'],
];

describe('HMAC JWT without WebCrypto (jwt-hmac.ts)', () => {
  it('accepts only tokens jose accepts, with the same claims, and leaves every other one to jose', async () => {
    for (const [name, t, outcome] of CASES) {
      const fast = verifyHmacFast(t, key, options, Math.floor(Date.now() / 1000));
      let jose: unknown;
      try {
        jose = (await jwtVerify(t, secret, options)).payload;
      } catch {
        jose = undefined;
      }
      const actual: Outcome = fast !== undefined ? 'fast' : jose !== undefined ? 'jose' : 'refused';
      assert.equal(actual, outcome, name);
      if (fast !== undefined) assert.deepEqual(fast, jose, `${name}: the claims jose returns`);
    }
  });

  it('leaves options wsgate does not set to jose', () => {
    const t = token(hs256, good);
    assert.ok(verifyHmacFast(t, key, options, now));
    for (const extra of [{ subject: 'u1' }, { typ: 'JWT' }, { maxTokenAge: 60 }, { currentDate: new Date() }, { crit: { b64: true } }, { clockTolerance: Infinity }, { clockTolerance: -1 }]) {
      assert.equal(verifyHmacFast(t, key, { ...options, ...extra }, now), undefined, JSON.stringify(extra));
    }
    assert.equal(verifyHmacFast(t, key, { ...options, algorithms: ['HS512'] }, now), undefined, 'an algorithm the route does not allow');
  });

  it('verifyToken: refusals keep jose\'s descriptions, acceptance returns the claims', async () => {
    const parsed = parseJwtKeys(secret);
    assert.ok(parsed.ok);
    const v = compileJwtVerifier({ secretRef: { name: 's' }, issuer: 'https://id.test', audiences: ['chat'], algorithms: ['HS256'], requireExpiration: true }, parsed.keys);
    const ok = await verifyToken(v, token(hs256, good));
    assert.ok(ok.ok && ok.claims.sub === 'u1');
    const expect = async (t: string, description: string) => {
      const r = await verifyToken(v, t);
      assert.ok(!r.ok && r.description === description, `${description}: ${JSON.stringify(r)}`);
    };
    await expect(token(hs256, { ...good, exp: now - 60 }), 'token expired');
    await expect(token(hs256, { ...good, aud: 'other' }), 'aud claim check failed');
    await expect(token(hs256, { iss: good.iss, aud: good.aud }), 'exp claim missing');
    await expect(token(hs256, good, { key: Buffer.from('fedcba9876543210fedcba9876543210') }), 'signature verification failed');
    await expect(token({ alg: 'HS512' }, good, { alg: 'HS512' }), 'algorithm not allowed');
    await expect(token({ alg: 'none' }, good), 'algorithm not allowed');
  });
});
