// TLS through a real wsgate process: SNI certificates per route (exact and wildcard), the default
// certificate, TLS 1.2 as the floor, certificate rotation without dropping connections, and
// upstream TLS to wss backends with CA verification or the explicit insecure opt-out.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startEchoServer, type EchoServer, type Hello } from '../../examples/echo-server.js';
import { makeCa, writeSecret, type TestCa } from '../helpers/certs.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startTlsEchoServer, type TlsEchoServer } from '../helpers/tls-echo.js';
import { connect, expectStatus } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

interface TlsClient {
  ws: WebSocket;
  hello: Hello;
  /** CN of the certificate wsgate presented. */
  cn: string;
  echo(text: string): Promise<string>;
  close(): Promise<void>;
}

function wss(port: number, servername: string | undefined, ca: string, urlPath = '/'): Promise<TlsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}${urlPath}`, {
      ca,
      ...(servername ? { servername, headers: { Host: servername } } : {}),
      handshakeTimeout: 5000,
    } as WebSocket.ClientOptions);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('message', (data) => {
      const socket = (ws as unknown as { _socket: tls.TLSSocket })._socket;
      resolve({
        ws,
        hello: JSON.parse(data.toString()) as Hello,
        cn: String(socket.getPeerCertificate().subject?.CN),
        echo: (text) =>
          new Promise((res) => {
            ws.once('message', (d) => res(d.toString()));
            ws.send(text);
          }),
        close: () =>
          new Promise((res) => {
            if (ws.readyState === WebSocket.CLOSED) return res();
            ws.once('close', () => res());
            ws.close(1000);
          }),
      });
    });
  });
}

/** The CN presented for a plain TLS handshake, or the error. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ...opts }, () => {
      const cn = String(s.getPeerCertificate().subject?.CN);
      s.destroy();
      resolve(cn);
    });
    s.once('error', reject);
  });
}

describe('security: TLS', () => {
  let ca: TestCa;
  let backend: EchoServer;
  let tlsBackend: TlsEchoServer;
  let gw: WsgateChild;
  let secretsDir: string;

  before(async () => {
    ca = makeCa();
    const other = makeCa('another CA');
    const a = ca.issue('a-v1', ['a.test']);
    const wild = ca.issue('wild', ['*.wild.test']);
    const def = ca.issue('default', ['default.test']);
    const be = ca.issue('backend', ['backend.test']);
    backend = await startEchoServer({ name: 'plain' });
    tlsBackend = await startTlsEchoServer('tls-backend', be.cert, be.key);
    const dir = tempDir();
    secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'a-tls', { 'tls.crt': a.cert, 'tls.key': a.key });
    writeSecret(secretsDir, 'default', 'wild-tls', { 'tls.crt': wild.cert, 'tls.key': wild.key });
    writeSecret(secretsDir, 'ops', 'default-tls', { 'tls.crt': def.cert, 'tls.key': def.key });
    writeSecret(secretsDir, 'default', 'ca', { 'ca.crt': ca.cert });
    writeSecret(secretsDir, 'default', 'other-ca', { 'bundle.pem': other.cert });
    const plain = [{ host: '127.0.0.1', port: backend.port }];
    const secure = [{ host: '127.0.0.1', port: tlsBackend.port }];
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'a', spec: { hosts: ['a.test'], tls: { secretRef: { name: 'a-tls' } }, match: { path: '/' }, backend: { endpoints: plain } } },
        { name: 'wild', spec: { hosts: ['*.wild.test'], tls: { secretRef: { name: 'wild-tls' } }, match: { path: '/' }, backend: { endpoints: plain } } },
        { name: 'up', spec: { match: { path: '/up' }, backend: { endpoints: secure, scheme: 'wss', tls: { caSecretRef: { name: 'ca' }, serverName: 'backend.test' } } } },
        { name: 'up-other-ca', spec: { match: { path: '/up-other-ca' }, backend: { endpoints: secure, scheme: 'wss', tls: { caSecretRef: { name: 'other-ca', key: 'bundle.pem' }, serverName: 'backend.test' } } } },
        { name: 'up-wrong-name', spec: { match: { path: '/up-wrong-name' }, backend: { endpoints: secure, scheme: 'wss', tls: { caSecretRef: { name: 'ca' }, serverName: 'wrong.test' } } } },
        { name: 'up-system-ca', spec: { match: { path: '/up-system-ca' }, backend: { endpoints: secure, scheme: 'wss' } } },
        { name: 'up-insecure', spec: { match: { path: '/up-insecure' }, backend: { endpoints: secure, scheme: 'wss', tls: { insecureSkipVerify: true } } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir, '--tls-listen', '127.0.0.1:0', '--tls-default-secret', 'ops/default-tls']);
    assert.ok(gw.tlsPort);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([backend?.close(), tlsBackend?.close()]);
  });

  test('SNI picks the route certificate (exact, wildcard), else the default; X-Forwarded-Proto is https', async () => {
    const a = await wss(gw.tlsPort!, 'a.test', ca.cert);
    assert.equal(a.cn, 'a-v1');
    assert.equal(a.hello.headers['x-forwarded-proto'], 'https');
    await a.close();
    const w = await wss(gw.tlsPort!, 'chat.wild.test', ca.cert);
    assert.equal(w.cn, 'wild');
    await w.close();
    assert.equal(await handshake(gw.tlsPort!, { servername: 'unknown.test', rejectUnauthorized: false }), 'default');
    assert.equal(await handshake(gw.tlsPort!, { rejectUnauthorized: false }), 'default');
    // A client that checks the name refuses the default certificate for another name.
    await assert.rejects(handshake(gw.tlsPort!, { servername: 'wild.test', ca: ca.cert }), /altnames|does not match/);
  });

  test('TLS below 1.2 is refused', async () => {
    await assert.rejects(handshake(gw.tlsPort!, { servername: 'a.test', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0' }));
    assert.equal(await handshake(gw.tlsPort!, { servername: 'a.test', ca: ca.cert, maxVersion: 'TLSv1.2' }), 'a-v1');
  });

  test('a rotated certificate applies to new handshakes; the open connection keeps going', async () => {
    const before = await wss(gw.tlsPort!, 'a.test', ca.cert);
    assert.equal(before.cn, 'a-v1');
    const a2 = ca.issue('a-v2', ['a.test']);
    const reloaded = gw.waitForLog(/secrets directory changed/);
    writeSecret(secretsDir, 'default', 'a-tls', { 'tls.crt': a2.cert, 'tls.key': a2.key });
    await reloaded;
    let cn = '';
    for (let i = 0; i < 100 && cn !== 'a-v2'; i++) {
      cn = await handshake(gw.tlsPort!, { servername: 'a.test', ca: ca.cert });
      if (cn !== 'a-v2') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(cn, 'a-v2');
    assert.equal(await before.echo('still here'), 'still here');
    await before.close();
  });

  test('upstream TLS: verified with the route CA and server name; another CA, a wrong name or the system CAs give 502; insecure opt-out connects', async () => {
    const c = await connect(`${gw.url}/up`);
    assert.equal(c.hello.backend, 'tls-backend');
    assert.equal(await c.echo('over tls'), 'over tls');
    await c.close();
    assert.equal(await expectStatus(`${gw.url}/up-other-ca`), 502);
    assert.equal(await expectStatus(`${gw.url}/up-wrong-name`), 502);
    assert.equal(await expectStatus(`${gw.url}/up-system-ca`), 502);
    assert.equal(await expectStatus(`${gw.url}/up-insecure`), 101);
  });
});
