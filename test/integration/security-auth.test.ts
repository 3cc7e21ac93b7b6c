// Authentication on the upgrade through a real wsgate process: JWT (header, query, subprotocol),
// required and forwarded claims, API keys, both together, and Secrets that are missing (fail
// closed) or appear later (hot reload). Tokens and keys must never reach the log.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { writeSecret } from '../helpers/certs.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect, expectStatus, upgradeOutcome } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const HMAC = 'hs256-test-secret-0123456789abcdef-XYZ';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** `exp: null`: a token without an exp claim. */
function hs256(claims: Record<string, unknown>, opts: { aud?: string; exp?: number | string | null; secret?: string } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://id.test').setAudience(opts.aud ?? 'chat');
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? '5m');
  return jwt.sign(new TextEncoder().encode(opts.secret ?? HMAC));
}

describe('security: authentication', () => {
  let backend: EchoServer;
  let gw: WsgateChild;
  let secretsDir: string;
  const used: string[] = [];

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
    const dir = tempDir();
    secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'jwt-hmac', { secret: HMAC + '\n' });
    const jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa1', alg: 'RS256' }] };
    writeSecret(secretsDir, 'default', 'jwt-jwks', { 'jwks.json': JSON.stringify(jwks) });
    writeSecret(secretsDir, 'default', 'keys', { alpha: 'key-alpha-123', beta: 'key-beta-456\n' });
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    const jwt = (secret: string, extra: Record<string, unknown> = {}) => ({ secretRef: { name: secret }, issuer: 'https://id.test', audiences: ['chat'], clockSkew: '0s', ...extra });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'jwt',
          spec: {
            match: { path: '/jwt' },
            backend: { endpoints },
            security: {
              auth: {
                jwt: jwt('jwt-hmac', {
                  algorithms: ['HS256'],
                  tokenFrom: { query: 'access_token', subprotocolPrefix: 'bearer.' },
                  requiredClaims: { scope: ['chat'] },
                  forwardClaims: { sub: 'X-User-Id', name: 'x-user-name' },
                }),
              },
            },
          },
        },
        { name: 'keys', spec: { match: { path: '/keys' }, backend: { endpoints }, security: { auth: { apiKeys: { secretRef: { name: 'keys' }, query: 'api_key' } } } } },
        { name: 'exp-required', spec: { match: { path: '/exp-required' }, backend: { endpoints }, security: { auth: { jwt: jwt('jwt-hmac', { requireExpiration: true }) } } } },
        { name: 'exp-optional', spec: { match: { path: '/exp-optional' }, backend: { endpoints }, security: { auth: { jwt: jwt('jwt-hmac', { requireExpiration: false }) } } } },
        { name: 'exp-default', spec: { match: { path: '/exp-default' }, backend: { endpoints }, security: { auth: { jwt: jwt('jwt-hmac') } } } },
        {
          name: 'both',
          spec: { match: { path: '/both' }, backend: { endpoints }, security: { auth: { jwt: jwt('jwt-jwks'), apiKeys: { secretRef: { name: 'keys', key: 'alpha' } } } } },
        },
        { name: 'later', spec: { match: { path: '/later' }, backend: { endpoints }, security: { auth: { apiKeys: { secretRef: { name: 'later-keys' } } } } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir]);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('JWT in Authorization: valid passes and claims are forwarded; a spoofed claim header is replaced', async () => {
    const token = await hs256({ sub: 'user-1', name: 'José', scope: 'read chat' });
    used.push(token);
    const c = await connect(`${gw.url}/jwt`, { headers: { Authorization: `Bearer ${token}`, 'X-User-Id': 'admin' } });
    assert.equal(c.hello.headers['x-user-id'], 'user-1');
    assert.equal(c.hello.headers['x-user-name'], 'Jos%C3%A9');
    await c.close();
    // A valid token without the claim: the client's header does not survive either.
    const noSub = await hs256({ scope: 'chat' });
    used.push(noSub);
    const d = await connect(`${gw.url}/jwt`, { headers: { Authorization: `Bearer ${noSub}`, 'X-User-Id': 'admin' } });
    assert.equal(d.hello.headers['x-user-id'], undefined);
    await d.close();
  });

  test('JWT refused: none (401 with a plain challenge), bad signature, expired, wrong audience (401 invalid_token)', async () => {
    const none = await upgradeOutcome(`${gw.url}/jwt`);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="wsgate"');
    const bad = [
      await hs256({ scope: 'chat' }, { secret: 'another-secret-another-secret-000' }),
      await hs256({ scope: 'chat' }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      await hs256({ scope: 'chat' }, { aud: 'other' }),
      'garbage.token.value',
    ];
    used.push(...bad);
    for (const t of bad) {
      const r = await upgradeOutcome(`${gw.url}/jwt`, { headers: { Authorization: `Bearer ${t}` } });
      assert.equal(r.status, 401, t);
      assert.match(r.headers['www-authenticate'] ?? '', /^Bearer realm="wsgate", error="invalid_token", error_description="[^"]+"$/);
    }
  });

  test('JWT without exp: 401 invalid_token with requireExpiration true; accepted with it false or unset; a token with exp passes everywhere', async () => {
    const noExp = await hs256({ sub: 'forever' }, { exp: null });
    const withExp = await hs256({ sub: 'bounded' });
    used.push(noExp, withExp);
    const r = await upgradeOutcome(`${gw.url}/exp-required`, { headers: { Authorization: `Bearer ${noExp}` } });
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="wsgate", error="invalid_token", error_description="exp claim missing"');
    for (const route of ['/exp-optional', '/exp-default']) {
      assert.equal((await upgradeOutcome(`${gw.url}${route}`, { headers: { Authorization: `Bearer ${noExp}` } })).status, 101, route);
    }
    for (const route of ['/exp-required', '/exp-optional', '/exp-default']) {
      assert.equal((await upgradeOutcome(`${gw.url}${route}`, { headers: { Authorization: `Bearer ${withExp}` } })).status, 101, route);
    }
  });

  test('JWT without a required claim value: 403 insufficient_scope', async () => {
    const t = await hs256({ sub: 'u', scope: 'read write' });
    used.push(t);
    const r = await upgradeOutcome(`${gw.url}/jwt`, { headers: { Authorization: `Bearer ${t}` } });
    assert.equal(r.status, 403);
    assert.match(r.headers['www-authenticate'] ?? '', /error="insufficient_scope"/);
  });

  test('JWT in the query (removed before forwarding) and in a Sec-WebSocket-Protocol entry (removed too)', async () => {
    const t = await hs256({ sub: 'q', scope: 'chat' });
    used.push(t);
    const q = await connect(`${gw.url}/jwt?room=1&access_token=${t}&x=%20`);
    assert.equal(q.hello.path, '/jwt?room=1&x=%20');
    await q.close();
    const p = await connect(`${gw.url}/jwt`, { protocols: ['chat.v1', `bearer.${t}`] });
    assert.equal(p.ws.protocol, 'chat.v1');
    assert.equal(p.hello.headers['sec-websocket-protocol'], 'chat.v1');
    assert.equal(p.hello.headers['x-user-id'], 'q');
    await p.close();
    assert.equal(await expectStatus(`${gw.url}/jwt`, { protocols: ['chat.v1', 'bearer.nope.nope.nope'] }), 401);
  });

  test('API keys: any key of the Secret in the header or the query (removed); wrong or missing is 401 ApiKey', async () => {
    used.push('key-alpha-123', 'key-beta-456');
    const a = await connect(`${gw.url}/keys`, { headers: { 'X-API-Key': 'key-alpha-123' } });
    assert.equal(a.hello.headers['x-api-key'], 'key-alpha-123');
    await a.close();
    const b = await connect(`${gw.url}/keys?api_key=key-beta-456&keep=1`);
    assert.equal(b.hello.path, '/keys?keep=1');
    await b.close();
    const wrong = await upgradeOutcome(`${gw.url}/keys`, { headers: { 'X-API-Key': 'key-alpha-12' } });
    assert.deepEqual([wrong.status, wrong.headers['www-authenticate']], [401, 'ApiKey realm="wsgate", error="invalid_key"']);
    const missing = await upgradeOutcome(`${gw.url}/keys`);
    assert.deepEqual([missing.status, missing.headers['www-authenticate']], [401, 'ApiKey realm="wsgate"']);
  });

  test('JWT (JWKS) or API key: either passes, neither gives both challenges', async () => {
    const t = await new SignJWT({ sub: 'r' }).setProtectedHeader({ alg: 'RS256', kid: 'rsa1' }).setIssuer('https://id.test').setAudience('chat').setExpirationTime('5m').sign(rsa.privateKey);
    used.push(t);
    assert.equal(await expectStatus(`${gw.url}/both`, { headers: { Authorization: `Bearer ${t}` } }), 101);
    assert.equal(await expectStatus(`${gw.url}/both`, { headers: { 'X-API-Key': 'key-alpha-123' } }), 101);
    // Only the key under secretRef.key counts.
    assert.equal(await expectStatus(`${gw.url}/both`, { headers: { 'X-API-Key': 'key-beta-456' } }), 401);
    const neither = await upgradeOutcome(`${gw.url}/both`);
    assert.deepEqual([neither.status, neither.headers['www-authenticate']], [401, 'Bearer realm="wsgate", ApiKey realm="wsgate"']);
  });

  test('a missing Secret fails closed (503), and the route opens once the Secret appears', async () => {
    used.push('later-key-789');
    const r = await upgradeOutcome(`${gw.url}/later`, { headers: { 'X-API-Key': 'later-key-789' } });
    assert.equal(r.status, 503);
    const reloaded = gw.waitForLog(/secrets directory changed/);
    writeSecret(secretsDir, 'default', 'later-keys', { k: 'later-key-789' });
    await reloaded;
    await gw.waitForLog(/routing table updated/).catch(() => undefined);
    assert.equal(await expectStatus(`${gw.url}/later`, { headers: { 'X-API-Key': 'later-key-789' } }), 101);
    assert.equal(await expectStatus(`${gw.url}/later`, { headers: { 'X-API-Key': 'guess' } }), 401);
  });

  test('no token, key or secret appears in the log', () => {
    const log = gw.stderr();
    assert.match(log, /upgrade refused/);
    for (const secret of [...used, HMAC, 'key-alpha-123']) {
      assert.equal(log.includes(secret), false, `log contains ${secret.slice(0, 12)}...`);
      // Nor a recognisable part of a JWT (its signature).
      const sig = secret.split('.')[2];
      if (sig && sig.length > 10) assert.equal(log.includes(sig), false);
    }
  });
});
