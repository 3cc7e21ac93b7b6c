// WebSocketRoute backend.tls.clientCertificateRef: wsgate presents the certificate of a
// kubernetes.io/tls Secret to a wss backend that requires client certificates (the same as a
// Gateway's spec.tls.backend for HTTPRoutes), on upgrades and plain requests. Without it the
// backend refuses the handshake (502); a Secret that is no certificate leaves the route unresolved.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCa, writeSecret } from '../helpers/certs.js';
import { plainRequest } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startTlsBackend, type TlsBackend, type TlsSeen } from '../helpers/tls-backend.js';
import { connect, expectStatus } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

describe('WebSocketRoute backend.tls.clientCertificateRef', () => {
  let backend: TlsBackend;
  let gw: WsgateChild;

  before(async () => {
    const serverCa = makeCa('server CA');
    const clientCa = makeCa('client CA');
    const client = clientCa.issue('wsgate-route', ['route.example.com'], 'clientAuth');
    backend = await startTlsBackend('mtls', { ...serverCa.issue('backend.test', ['backend.test']), clientCa: clientCa.cert });
    const dir = tempDir();
    const secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'ca', { 'ca.crt': serverCa.cert });
    writeSecret(secretsDir, 'default', 'client', { 'tls.crt': client.cert, 'tls.key': client.key });
    writeSecret(secretsDir, 'default', 'not-a-cert', { 'tls.crt': 'x', 'tls.key': 'y' });
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    const tls = (extra: object) => ({ caSecretRef: { name: 'ca' }, serverName: 'backend.test', ...extra });
    const http = { methods: ['GET'] };
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'with-cert', spec: { match: { path: '/with-cert' }, http, backend: { endpoints, scheme: 'wss', tls: tls({ clientCertificateRef: { name: 'client' } }) } } },
        { name: 'without', spec: { match: { path: '/without' }, http, backend: { endpoints, scheme: 'wss', tls: tls({}) } } },
        { name: 'bad-cert', spec: { match: { path: '/bad-cert' }, http, backend: { endpoints, scheme: 'wss', tls: tls({ clientCertificateRef: { name: 'not-a-cert' } }) } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir]);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('the backend sees the route\'s client certificate on upgrades and plain requests', async () => {
    const c = await connect(`${gw.url}/with-cert`);
    try {
      assert.equal((c.hello as unknown as TlsSeen).clientCertificate, 'wsgate-route');
      assert.equal(await c.echo('mutual'), 'mutual');
    } finally {
      await c.close();
    }
    const r = await plainRequest(gw.proxyPort, '/with-cert');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body.toString()) as TlsSeen).clientCertificate, 'wsgate-route');
  });

  test('without a client certificate the backend refuses the handshake: 502', async () => {
    const seen = backend.seen.length;
    assert.equal(await expectStatus(`${gw.url}/without`), 502);
    assert.equal(backend.seen.length, seen);
  });

  test('a Secret that is no certificate: the route is not served, nothing reaches the backend', async () => {
    const seen = backend.seen.length;
    assert.equal(await expectStatus(`${gw.url}/bad-cert`), 503);
    assert.equal(backend.seen.length, seen);
  });
});
