import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import { apiKeyValid, compileApiKeys } from '../../src/security/api-keys.js';
import { compileJwtVerifier, findToken, parseJwtKeys, unmetClaim, verifyToken, type JwtKeys } from '../../src/security/jwt.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pem = (k: { publicKey: import('node:crypto').KeyObject }) => k.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const hmac = Buffer.from('0123456789abcdef0123456789abcdef');

function keys(data: string | Buffer): JwtKeys {
  const r = parseJwtKeys(Buffer.from(data));
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.keys;
}

async function sign(key: Parameters<SignJWT['sign']>[0], alg: string, claims: Record<string, unknown> = {}, opts: { exp?: number | string; kid?: string } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, ...(opts.kid ? { kid: opts.kid } : {}) }).setIssuedAt().setIssuer('https://id.test').setAudience('chat');
  jwt.setExpirationTime(opts.exp ?? '5m');
  return jwt.sign(key);
}

const base = { secretRef: { name: 's' }, issuer: 'https://id.test', audiences: ['chat'] };

describe('jwt keys', () => {
  it('reads PEM (several for rotation), JWKS and HMAC secrets', async () => {
    assert.equal(keys(pem(rsa) + pem(ec)).kind, 'pem');
    const jwk = await exportJWK(rsa.publicKey);
    assert.equal(keys(JSON.stringify({ keys: [{ ...jwk, kid: 'k1', alg: 'RS256' }] })).kind, 'jwks');
    assert.equal(keys(JSON.stringify(jwk)).kind, 'jwks');
    assert.equal(keys(Buffer.concat([hmac, Buffer.from('\n')])).kind, 'hmac');
  });

  it('refuses private keys, short HMAC secrets and broken JSON, naming no key bytes', async () => {
    const priv = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const r1 = parseJwtKeys(Buffer.from(priv));
    assert.ok(!r1.ok && /private key/.test(r1.message));
    const r2 = parseJwtKeys(Buffer.from('short-secret'));
    assert.ok(!r2.ok && /at least 32 bytes/.test(r2.message) && !r2.message.includes('short-secret'));
    assert.equal(parseJwtKeys(Buffer.from('{"keys": [')).ok, false);
    const jwkPriv = await exportJWK(rsa.privateKey);
    assert.equal(parseJwtKeys(Buffer.from(JSON.stringify({ keys: [jwkPriv] }))).ok, false);
  });
});

describe('jwt verification', () => {
  it('accepts RS256, ES256, EdDSA and HS256 tokens with their keys', async () => {
    const v = compileJwtVerifier(base, keys(pem(rsa2) + pem(rsa) + pem(ec) + pem(ed)));
    for (const [k, alg] of [[rsa.privateKey, 'RS256'], [rsa.privateKey, 'PS256'], [ec.privateKey, 'ES256'], [ed.privateKey, 'EdDSA']] as const) {
      const r = await verifyToken(v, await sign(k, alg, { sub: 'u1' }));
      assert.ok(r.ok, `${alg}: ${r.ok ? '' : r.description}`);
    }
    const h = compileJwtVerifier(base, keys(hmac));
    assert.ok((await verifyToken(h, await sign(new Uint8Array(hmac), 'HS256'))).ok);
  });

  it('refuses expired, wrong issuer or audience, wrong key, alg none and algorithm confusion', async () => {
    const v = compileJwtVerifier({ ...base, clockSkew: '0s' }, keys(pem(rsa)));
    const expired = await sign(rsa.privateKey, 'RS256', {}, { exp: Math.floor(Date.now() / 1000) - 60 });
    assert.deepEqual(await verifyToken(v, expired), { ok: false, description: 'token expired' });
    const skewed = compileJwtVerifier({ ...base, clockSkew: '2m' }, keys(pem(rsa)));
    assert.ok((await verifyToken(skewed, expired)).ok, 'within the clock skew');
    const otherAud = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer('https://id.test').setAudience('other').setExpirationTime('5m').sign(rsa.privateKey);
    assert.deepEqual(await verifyToken(v, otherAud), { ok: false, description: 'aud claim check failed' });
    const otherKey = await sign(rsa2.privateKey, 'RS256');
    assert.equal((await verifyToken(v, otherKey)).ok, false);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"iss":"https://id.test","aud":"chat"}').toString('base64url')}.`;
    assert.equal((await verifyToken(v, none)).ok, false);
    // HS256 signed with the public key's PEM text as the secret must not pass.
    const confused = await sign(new Uint8Array(Buffer.from(pem(rsa))), 'HS256');
    assert.equal((await verifyToken(v, confused)).ok, false);
    assert.deepEqual(await verifyToken(v, 'not.a.jwt'), { ok: false, description: 'malformed token' });
  });

  it('HMAC: HS256/384/512 verify with the secret imported once per algorithm; another secret or an RS256 token does not', async () => {
    const k = keys(hmac);
    assert.equal(k.kind, 'hmac');
    const h = compileJwtVerifier(base, k);
    for (const alg of ['HS256', 'HS384', 'HS512', 'HS256']) {
      const r = await verifyToken(h, await sign(new Uint8Array(hmac), alg, { sub: 'u1' }));
      assert.ok(r.ok && r.claims.sub === 'u1', `${alg}: ${r.ok ? '' : r.description}`);
    }
    const getKey = (k as Extract<JwtKeys, { kind: 'hmac' }>).getKey as (h: { alg: string }) => unknown;
    const first = getKey({ alg: 'HS256' });
    assert.ok(first instanceof CryptoKey, 'a WebCrypto key, not the bytes jose would import each time');
    assert.equal(getKey({ alg: 'HS256' }), first, 'imported once, then reused');
    assert.notEqual(getKey({ alg: 'HS512' }), first, 'a key per hash');
    const other = await sign(new Uint8Array(Buffer.from('fedcba9876543210fedcba9876543210')), 'HS256');
    const refused = await verifyToken(h, other);
    assert.ok(!refused.ok && refused.description === 'signature verification failed');
    assert.equal((await verifyToken(h, await sign(rsa.privateKey, 'RS256'))).ok, false, 'an RS256 token is not checked against the secret');
  });

  it('refuses a token without exp only when requireExpiration is set', async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer('https://id.test').setAudience('chat').sign(rsa.privateKey);
    assert.ok((await verifyToken(compileJwtVerifier(base, keys(pem(rsa))), noExp)).ok, 'without requireExpiration a token without exp passes (jose, Envoy)');
    assert.ok((await verifyToken(compileJwtVerifier({ ...base, requireExpiration: false }, keys(pem(rsa))), noExp)).ok);
    const strict = compileJwtVerifier({ ...base, requireExpiration: true }, keys(pem(rsa)));
    assert.deepEqual(await verifyToken(strict, noExp), { ok: false, description: 'exp claim missing' });
    assert.ok((await verifyToken(strict, await sign(rsa.privateKey, 'RS256'))).ok, 'a token with exp still passes');
    const expired = await sign(rsa.privateKey, 'RS256', {}, { exp: Math.floor(Date.now() / 1000) - 3600 });
    assert.deepEqual(await verifyToken(strict, expired), { ok: false, description: 'token expired' });
  });

  it('restricts algorithms when told to', async () => {
    const v = compileJwtVerifier({ ...base, algorithms: ['ES256'] }, keys(pem(rsa) + pem(ec)));
    assert.deepEqual(await verifyToken(v, await sign(rsa.privateKey, 'RS256')), { ok: false, description: 'algorithm not allowed' });
    assert.ok((await verifyToken(v, await sign(ec.privateKey, 'ES256'))).ok);
  });

  it('verifies against a JWKS by kid', async () => {
    const set = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'a', alg: 'RS256' }, { ...(await exportJWK(ec.publicKey)), kid: 'b', alg: 'ES256' }] };
    const v = compileJwtVerifier(base, keys(JSON.stringify(set)));
    assert.ok((await verifyToken(v, await sign(ec.privateKey, 'ES256', {}, { kid: 'b' }))).ok);
    assert.equal((await verifyToken(v, await sign(rsa2.privateKey, 'RS256', {}, { kid: 'a' }))).ok, false);
  });

  it('finds the token in the header, the subprotocol list or the query, in that order', () => {
    const v = compileJwtVerifier({ ...base, tokenFrom: { query: 'access_token', subprotocolPrefix: 'bearer.' } }, keys(hmac));
    const q = (name: string) => (name === 'access_token' ? 'fromquery' : undefined);
    assert.deepEqual(findToken(v, { authorization: 'Bearer fromheader' }, q), { token: 'fromheader', source: 'header' });
    assert.deepEqual(findToken(v, { authorization: 'Basic x', 'sec-websocket-protocol': 'chat, bearer.fromproto' }, q), { token: 'fromproto', source: 'subprotocol' });
    assert.deepEqual(findToken(v, {}, q), { token: 'fromquery', source: 'query' });
    assert.equal(findToken(compileJwtVerifier(base, keys(hmac)), { 'sec-websocket-protocol': 'bearer.x' }, q), null);
  });

  it('checks required claims: values, lists and space-separated scopes', () => {
    const req = [['scope', ['chat:write']], ['roles', ['admin', 'ops']], ['tier', ['1']]] as const;
    assert.equal(unmetClaim({ scope: 'read chat:write', roles: ['user', 'ops'], tier: 1 }, req), null);
    assert.equal(unmetClaim({ scope: 'read', roles: ['ops'], tier: 1 }, req), 'scope');
    assert.equal(unmetClaim({ scope: 'chat:write', roles: 'user', tier: 1 }, req), 'roles');
    assert.equal(unmetClaim({ scope: 'chat:write', roles: 'admin' }, req), 'tier');
  });
});

describe('api keys', () => {
  it('accepts every stored key (whitespace around it ignored) and nothing else', () => {
    const c = compileApiKeys({}, [Buffer.from('key-one\n'), Buffer.from('key-two'), Buffer.from('  ')]);
    assert.ok(c.ok);
    if (!c.ok) return;
    assert.equal(c.verifier.header, 'x-api-key');
    assert.ok(apiKeyValid(c.verifier, 'key-one'));
    assert.ok(apiKeyValid(c.verifier, 'key-two'));
    for (const bad of ['', 'key-on', 'key-one ', 'KEY-ONE', 'x'.repeat(5000)]) assert.equal(apiKeyValid(c.verifier, bad), false, bad);
    assert.equal(compileApiKeys({}, [Buffer.from('\n')]).ok, false);
  });
});
