// Client certificates per WebSocketRoute on --tls-listen (spec.tls.clientValidation), with real
// node:tls clients. Four routes share one host and one certificate: two AllowValidOnly routes
// with different CA bundles, an AllowInsecureFallback one and one without validation. The
// listener asks every client for a certificate but fails no handshake; each route checks the
// chain against its own bundle (a certificate of the other route's CA verifies at the handshake
// against the host's union bundle, and is still refused). X-Forwarded-Client-Cert reaches a
// backend only from a certificate verified for the route; what a client writes in it never does.

import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { ClientValidationMode } from '../../src/api/client-validation.js';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import type { SecretResolver } from '../../src/routing/types.js';
import { PER_ROUTE, TlsListener } from '../../src/proxy/tls-listener.js';
import { serverContext } from '../../src/security/tls-store.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { route } from '../fixtures.js';
import { makeCa, type TestCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { closeSession } from '../helpers/h2-client.js';
import { startHttpBackend, type HttpBackend } from '../helpers/http-backend.js';
import { get, rawRequest, type Pem } from '../helpers/mtls-client.js';
import { upgradeRequest } from '../helpers/raw-http.js';

const XFCC = /^Hash=[0-9a-f]{64};Subject="CN=device-1";DNS=device-1\.example\.org$/;
const PARTNER_XFCC = /^Hash=[0-9a-f]{64};Subject="CN=partner-1";DNS=partner-1\.example\.org$/;

/** The status of an RFC 8441 WebSocket (extended CONNECT) on its own HTTP/2 session. */
async function h2WebSocket(port: number, serverCa: string, client: Pem | undefined, path: string): Promise<number> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { servername: 'example.org', ca: serverCa, ...(client ?? {}), ALPNProtocols: ['h2'] });
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path, ':authority': 'example.org', 'sec-websocket-version': '13' });
    return await new Promise<number>((resolve, reject) => {
      stream.once('response', (h) => resolve(Number(h[':status'])));
      stream.once('error', reject);
    });
  } finally {
    session.destroy();
    await closeSession(session);
  }
}

describe('client certificates per WebSocketRoute on --tls-listen', () => {
  let serverCa: TestCa;
  let device: Pem;
  let partner: Pem;
  let backend: HttpBackend;
  let plane: DataPlane;
  let port: number;

  before(async () => {
    serverCa = makeCa('server CA');
    const deviceCa = makeCa('device CA', 'rsa');
    const partnerCa = makeCa('partner CA', 'rsa');
    device = deviceCa.issue('device-1', ['device-1.example.org'], 'clientAuth');
    partner = partnerCa.issue('partner-1', ['partner-1.example.org'], 'clientAuth');
    const server = serverCa.issue('example.org', ['example.org']);
    backend = await startHttpBackend('v1');
    const secrets: Record<string, Record<string, Buffer>> = {
      server: { 'tls.crt': Buffer.from(server.cert), 'tls.key': Buffer.from(server.key) },
      devices: { 'ca.crt': Buffer.from(deviceCa.cert) },
      partners: { 'bundle.pem': Buffer.from(partnerCa.cert) },
    };
    const resolveSecret: SecretResolver = (_namespace, name) => (secrets[name] ? { ok: true, data: secrets[name] } : { ok: false, reason: 'SecretNotFound', message: name });
    const serve = (name: string, clientValidation?: { caSecretRef: { name: string; key?: string }; mode?: ClientValidationMode }) =>
      route(name, {
        hosts: ['example.org'],
        match: { path: `/${name}/{rest}` },
        http: { methods: ['GET'] },
        backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] },
        tls: { secretRef: { name: 'server' }, ...(clientValidation ? { clientValidation } : {}) },
      });
    plane = new DataPlane({
      logger: pino({ level: 'silent' }),
      metrics: new Metrics({ defaultMetrics: false }),
      affinityKey: randomAffinityKey(),
      security: { tlsListen: { host: '127.0.0.1', port: 0 } },
    });
    const out = compile({
      routes: [
        serve('strict', { caSecretRef: { name: 'devices' } }),
        serve('partner', { caSecretRef: { name: 'partners', key: 'bundle.pem' }, mode: 'AllowValidOnly' }),
        serve('fallback', { caSecretRef: { name: 'devices' }, mode: 'AllowInsecureFallback' }),
        serve('open'),
      ],
      resolveSecret,
      version: 1,
    });
    assert.deepEqual(out.table.routes.map((r) => r.security?.unresolved), [undefined, undefined, undefined, undefined]);
    plane.setTable(out.table, resolveSecret);
    port = (await plane.listen({ host: '127.0.0.1', port: 0 }, resolveSecret)).tls!.port;
  });

  after(async () => {
    await plane.stop();
    await backend.close();
  });

  test('AllowValidOnly: a certificate of the route\'s CA is served, with X-Forwarded-Client-Cert', async () => {
    const a = await get(port, serverCa.cert, device, '', true, '/strict/hello');
    assert.equal(a.status, 200);
    assert.match(String(a.xfcc), XFCC);
  });

  test('AllowValidOnly: no certificate, or one of the other route\'s CA (verified at the handshake), is 403 before any backend', async () => {
    const seen = backend.requests.length;
    assert.deepEqual(await get(port, serverCa.cert, undefined, '', true, '/strict/hello'), { status: 403 });
    assert.deepEqual(await get(port, serverCa.cert, partner, '', true, '/strict/hello'), { status: 403 });
    // The same holds for the other route, the other way round: each checks its own bundle.
    assert.deepEqual(await get(port, serverCa.cert, device, '', true, '/partner/hello'), { status: 403 });
    assert.equal(backend.requests.length, seen);
    const own = await get(port, serverCa.cert, partner, '', true, '/partner/hello');
    assert.equal(own.status, 200);
    assert.match(String(own.xfcc), PARTNER_XFCC);
  });

  test('AllowValidOnly: a WebSocket upgrade without a verified certificate is 403; with one it is 101 and carries the header', async () => {
    const upgrades = backend.upgrades.length;
    assert.match(await rawRequest(port, serverCa.cert, undefined, upgradeRequest('/strict/ws', { Host: 'example.org' })), /^HTTP\/1\.1 403/);
    assert.match(await rawRequest(port, serverCa.cert, partner, upgradeRequest('/strict/ws', { Host: 'example.org' })), /^HTTP\/1\.1 403/);
    assert.equal(backend.upgrades.length, upgrades);
    const ok = await rawRequest(port, serverCa.cert, device, upgradeRequest('/strict/ws', { Host: 'example.org', 'X-Forwarded-Client-Cert': 'Subject="CN=admin"' }));
    assert.match(ok, /^HTTP\/1\.1 101/);
    assert.match(String(backend.upgrades.at(-1)!.headers['x-forwarded-client-cert']), XFCC);
  });

  test('HTTP/2: an RFC 8441 WebSocket without a verified certificate is 403 on its stream; with one it opens', async () => {
    const upgrades = backend.upgrades.length;
    assert.equal(await h2WebSocket(port, serverCa.cert, undefined, '/strict/ws'), 403);
    assert.equal(await h2WebSocket(port, serverCa.cert, partner, '/strict/ws'), 403);
    assert.equal(backend.upgrades.length, upgrades);
    assert.equal(await h2WebSocket(port, serverCa.cert, device, '/strict/ws'), 200);
  });

  test('AllowInsecureFallback: served without the header unless the certificate verifies for the route', async () => {
    assert.deepEqual(await get(port, serverCa.cert, undefined, '', true, '/fallback/hello'), { status: 200, xfcc: undefined });
    assert.deepEqual(await get(port, serverCa.cert, partner, '', true, '/fallback/hello'), { status: 200, xfcc: undefined });
    assert.match(String((await get(port, serverCa.cert, device, '', true, '/fallback/hello')).xfcc), XFCC);
  });

  test('a route without clientValidation on the same listener serves clients without a certificate, and never sends the header', async () => {
    assert.deepEqual(await get(port, serverCa.cert, undefined, '', true, '/open/hello'), { status: 200, xfcc: undefined });
    assert.deepEqual(await get(port, serverCa.cert, device, '', true, '/open/hello'), { status: 200, xfcc: undefined });
  });

  const FORGED: Array<[string, string]> = [
    ['the header itself', 'X-Forwarded-Client-Cert: Hash=00;Subject="CN=admin"\r\n'],
    ['an underscore alias', 'X_Forwarded_Client_Cert: Subject="CN=admin"\r\n'],
    ['named by Connection (to remove wsgate\'s)', 'X-Forwarded-Client-Cert: Subject="CN=admin"\r\nConnection: x-forwarded-client-cert\r\n'],
  ];
  for (const [what, headers] of FORGED) {
    test(`a forged X-Forwarded-Client-Cert (${what}) never reaches the backend: the verified one or none does`, async () => {
      const verified = await get(port, serverCa.cert, device, headers, true, '/strict/hello');
      assert.equal(verified.status, 200);
      assert.match(String(verified.xfcc), XFCC, 'exactly the verified value, once');
      for (const path of ['/fallback/hello', '/open/hello']) {
        assert.deepEqual(await get(port, serverCa.cert, undefined, headers, true, path), { status: 200, xfcc: undefined });
        assert.equal(backend.requests.at(-1)!.headers['x_forwarded_client_cert'], undefined);
      }
    });
  }
});

describe('the --tls-listen listener asks for a client certificate only while a route wants one', () => {
  test('not asked: the server never sees the certificate; asked: it does, and a certificate of no known CA or none still completes the handshake', async (t) => {
    const serverCa = makeCa('server CA');
    const deviceCa = makeCa('device CA');
    const device = deviceCa.issue('device-1', ['device-1.example.org'], 'clientAuth');
    const stranger = makeCa('stranger CA').issue('device-2', ['device-2.example.org'], 'clientAuth');
    const server = serverCa.issue('example.org', ['example.org']);
    const context = serverContext(server.cert, server.key, deviceCa.cert).context;
    const httpServer = http.createServer();
    const listener = new TlsListener({ server: httpServer, contextFor: () => context, servedBy: () => '', handshakeTimeoutMs: 5000, log: pino({ level: 'silent' }), clientValidation: PER_ROUTE });
    /** What the server saw of each connection's client certificate (none when not asked or not sent) and whether it verified. */
    const seen: Array<{ cert: X509Certificate | undefined; authorized: boolean }> = [];
    listener.tlsServer.on('secureConnection', (s: tls.TLSSocket) => void seen.push({ cert: s.getPeerX509Certificate(), authorized: s.authorized }));
    const { port } = await listener.listen('127.0.0.1', 0);
    t.after(() => listener.stopAccepting());
    const connect = async (client: Pem | undefined) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'example.org', ca: serverCa.cert, ...(client ?? {}) });
      try {
        await once(socket, 'secureConnect');
        // TLS 1.3: the server's secureConnection comes with the client's Finished, after the client's secureConnect.
        await eventually('the server saw the handshake', () => seen.length > 0);
        return seen.shift()!;
      } finally {
        socket.destroy();
      }
    };
    assert.equal((await connect(device)).cert, undefined, 'a table without clientValidation does not ask');
    listener.askForClientCertificates(true);
    const asked = await connect(device);
    assert.equal(asked.cert?.subject, 'CN=device-1');
    assert.equal(asked.authorized, true);
    assert.deepEqual(await connect(undefined), { cert: undefined, authorized: false });
    const unknown = await connect(stranger);
    assert.equal(unknown.cert?.subject, 'CN=device-2');
    assert.equal(unknown.authorized, false);
    listener.askForClientCertificates(false);
    assert.equal((await connect(device)).cert, undefined, 'asking stops with the last route that wanted it');
  });
});
