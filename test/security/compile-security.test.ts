import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { compile } from '../../src/routing/compile.js';
import type { SecretResolver } from '../../src/routing/types.js';
import { readSecretsDir, snapshotResolver } from '../../src/sources/secrets-dir.js';
import { route } from '../fixtures.js';
import { makeCa, writeSecret } from '../helpers/certs.js';
import { tempDir } from '../helpers/wsgate-child.js';

const secrets = (map: Record<string, Record<string, string>>): SecretResolver => (ns, name) => {
  const data = map[`${ns}/${name}`];
  if (!data) return { ok: false, reason: 'SecretNotFound', message: `Secret ${ns}/${name} not found` };
  return { ok: true, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) };
};

const keysRoute = route('keys', { security: { auth: { apiKeys: { secretRef: { name: 'keys' } } } } });

describe('compiling route security', () => {
  it('a missing Secret: ResolvedRefs and Ready false, the route serves but fails closed', () => {
    const out = compile({ routes: [keysRoute], resolveSecret: secrets({}) });
    const s = out.statuses.get('default/keys')!;
    assert.equal(s.accepted.status, 'True');
    assert.deepEqual([s.resolvedRefs.status, s.resolvedRefs.reason], ['False', 'SecretNotFound']);
    assert.deepEqual([s.ready.status, s.ready.reason], ['False', 'UnresolvedRefs']);
    assert.equal(out.table.routes[0]!.security?.unresolved?.reason, 'SecretNotFound');
  });

  it('without any Secret source the message says where standalone mode looks', () => {
    const s = compile({ routes: [keysRoute] }).statuses.get('default/keys')!;
    assert.match(s.resolvedRefs.message, /--secrets-dir/);
  });

  it('a present Secret resolves; a bad one is InvalidSecret without its bytes in the message', () => {
    const ok = compile({ routes: [keysRoute], resolveSecret: secrets({ 'default/keys': { a: 'k1', b: 'k2' } }) });
    assert.equal(ok.statuses.get('default/keys')!.resolvedRefs.status, 'True');
    assert.equal(ok.table.routes[0]!.security?.apiKeys?.digests.length, 2);
    const jwt = route('jwt', { security: { auth: { jwt: { secretRef: { name: 'jwt' } } } } });
    const bad = compile({ routes: [jwt], resolveSecret: secrets({ 'default/jwt': { a: 'tiny-secret', b: 'other' } }) });
    assert.match(bad.statuses.get('default/jwt')!.resolvedRefs.message, /has 2 keys; set secretRef.key/);
    const short = compile({ routes: [jwt], resolveSecret: secrets({ 'default/jwt': { k: 'tiny-secret' } }) });
    const m = short.statuses.get('default/jwt')!.resolvedRefs;
    assert.equal(m.reason, 'InvalidSecret');
    assert.ok(!m.message.includes('tiny-secret'));
  });

  it('TLS Secrets become SNI contexts; wss backends get CA, server name and verification settings', () => {
    const ca = makeCa();
    const leaf = ca.issue('chat.test', ['chat.test']);
    const r = route('tls', {
      hosts: ['chat.test'],
      tls: { secretRef: { name: 'chat-tls' } },
      backend: { endpoints: [{ host: '127.0.0.1', port: 1 }], scheme: 'wss', tls: { caSecretRef: { name: 'ca' }, serverName: 'backend.test' } },
    });
    const out = compile({ routes: [r], resolveSecret: secrets({ 'default/chat-tls': { 'tls.crt': leaf.cert, 'tls.key': leaf.key }, 'default/ca': { 'ca.crt': ca.cert } }) });
    const c = out.table.routes[0]!;
    assert.equal(out.statuses.get('default/tls')!.resolvedRefs.status, 'True');
    assert.ok(c.tls?.context);
    assert.equal(c.backend.tls?.servername, 'backend.test');
    assert.equal(c.backend.tls?.ca, ca.cert);
    assert.equal(c.backend.tls?.rejectUnauthorized, undefined);
    const mismatched = compile({ routes: [r], resolveSecret: secrets({ 'default/chat-tls': { 'tls.crt': leaf.cert, 'tls.key': ca.key }, 'default/ca': { 'ca.crt': 'not pem' } }) });
    const st = mismatched.statuses.get('default/tls')!.resolvedRefs;
    assert.equal(st.reason, 'InvalidSecret');
    assert.match(st.message, /tls\.crt\/tls\.key cannot be used.*; Secret default\/ca: key "ca.crt" is not a PEM/);
  });

  it('tls.clientValidation: the CA bundle (ca.crt by default) becomes the route\'s anchors; a missing or unparsable one fails the route closed', () => {
    const ca = makeCa();
    const leaf = ca.issue('chat.test', ['chat.test']);
    const server = { 'tls.crt': leaf.cert, 'tls.key': leaf.key };
    const r = route('mtls', { hosts: ['chat.test'], tls: { secretRef: { name: 'chat-tls' }, clientValidation: { caSecretRef: { name: 'devices' }, mode: 'AllowInsecureFallback' } } });
    const ok = compile({ routes: [r], resolveSecret: secrets({ 'default/chat-tls': server, 'default/devices': { 'ca.crt': ca.cert } }) });
    const cv = ok.table.routes[0]!.security?.clientValidation;
    assert.equal(cv?.mode, 'AllowInsecureFallback');
    assert.deepEqual(cv?.anchors.map((a) => a.subject), ['CN=wsgate test CA']);
    assert.equal(ok.table.routes[0]!.security?.unresolved, undefined);
    const bad = compile({ routes: [r], resolveSecret: secrets({ 'default/chat-tls': server, 'default/devices': { 'ca.crt': 'not pem' } }) });
    assert.equal(bad.table.routes[0]!.security?.unresolved?.reason, 'InvalidSecret');
    assert.match(bad.statuses.get('default/mtls')!.resolvedRefs.message, /Secret default\/devices: key "ca.crt" is not a PEM certificate bundle/);
    const missing = compile({ routes: [r], resolveSecret: secrets({ 'default/chat-tls': server }) });
    assert.equal(missing.table.routes[0]!.security?.unresolved?.reason, 'SecretNotFound');
    assert.equal(missing.table.routes[0]!.security?.clientValidation, undefined);
  });
});

describe('secrets directory', () => {
  it('reads DIR/<namespace>/<name>/<key>, skipping ..data entries', () => {
    const dir = tempDir();
    writeSecret(dir, 'apps', 'keys', { k1: 'one', k2: 'two' });
    fs.mkdirSync(path.join(dir, 'apps', 'keys', '..data'));
    fs.writeFileSync(path.join(dir, 'stray-file'), 'x');
    const snap = readSecretsDir(dir);
    assert.deepEqual([...snap.keys()], ['apps/keys']);
    const r = snapshotResolver(snap, dir)('apps', 'keys');
    assert.ok(r.ok && r.data.k1?.toString() === 'one' && Object.keys(r.data).length === 2);
    const missing = snapshotResolver(snap, dir)('apps', 'nope');
    assert.ok(!missing.ok && missing.reason === 'SecretNotFound');
  });
});
