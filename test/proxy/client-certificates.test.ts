// Client certificates on a Gateway HTTPS socket (spec.tls.frontend), with real node:tls clients:
// AllowValidOnly serves a client whose certificate chains to the socket's CA bundle and refuses
// at the handshake one without a certificate or with one of another CA; AllowInsecureFallback
// serves both, unauthenticated. The backend sees X-Forwarded-Client-Cert only from the verified
// certificate: what a client writes in it (any spelling, twice, via Connection) never arrives.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { ClientValidation } from '../../src/api/client-validation.js';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import type { GatewayRouteEntry, ListenerRef } from '../../src/gatewayapi/model.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import { gatewayPortId, type GatewaySocketInput } from '../../src/routing/gateway-types.js';
import { makeEndpoint, type SecretResolver, type ServiceResolver } from '../../src/routing/types.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { makeCa, type TestCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { closeSession, h2Request } from '../helpers/h2-client.js';
import { startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { get, rawRequest, type Pem } from '../helpers/mtls-client.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { entry, service } from '../routing/gateway-entries.js';

const SECRET = { namespace: 'infra', name: 'server' };

describe('client certificates on a Gateway HTTPS socket', () => {
  let serverCa: TestCa;
  let clientCa: TestCa;
  let otherCa: TestCa;
  let device: Pem;
  let stranger: Pem;
  let backend: HttpBackend;
  let plane: DataPlane;
  const ports: Record<string, number> = {};
  /** The data plane's log lines (the access log among them). */
  const logLines: Array<Record<string, unknown>> = [];

  const listener = (gatewayName: string): ListenerRef => ({ gatewayNamespace: 'infra', gatewayName, listenerName: 'https', port: 443, protocol: 'HTTPS' });
  const socket = (key: string, clientValidation: ClientValidation): GatewaySocketInput => ({ key, address: '127.0.0.1', port: 0, protocol: 'HTTPS', certificates: [SECRET], clientValidation });

  before(async () => {
    serverCa = makeCa('server CA');
    // RSA, as the conformance suite's: a signature checked with the wrong RSA key leaves an
    // OpenSSL error behind (see tls-stale-verify-error.ts), which an EC key does not.
    clientCa = makeCa('device CA', 'rsa');
    // The same subject as the device CA (as the conformance suite's two CAs): OpenSSL finds it
    // as the issuer by name and fails on the signature, not on a missing issuer.
    otherCa = makeCa('device CA', 'rsa');
    const server = serverCa.issue('example.org', ['example.org']);
    device = clientCa.issue('device-1', ['device-1.example.org'], 'clientAuth');
    stranger = otherCa.issue('device-1', ['device-1.example.org'], 'clientAuth');
    backend = await startHttpBackend('v1');
    const resolveService: ServiceResolver = () => ({ ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] });
    const resolveSecret: SecretResolver = (namespace, name) =>
      namespace === SECRET.namespace && name === SECRET.name
        ? { ok: true, data: { 'tls.crt': Buffer.from(server.cert), 'tls.key': Buffer.from(server.key) } }
        : { ok: false, reason: 'SecretNotFound', message: name };
    const entries: GatewayRouteEntry[] = ['strict', 'fallback'].map((gw) =>
      entry(`r-${gw}`, { listener: listener(gw), hostnames: [], path: { type: 'PathPrefix', value: '/' }, backends: [service('v1', 8080)] }, { gateway: gw, listener: 'https', port: 443 }),
    );
    const logStream = { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) };
    plane = new DataPlane({ logger: pino({ level: 'info' }, logStream), metrics: new Metrics({ defaultMetrics: false }), affinityKey: randomAffinityKey() });
    await plane.listen({ host: '127.0.0.1', port: 0 }, resolveSecret);
    const out = compile({
      routes: [],
      resolveService,
      resolveSecret,
      version: 1,
      gateway: {
        entries,
        sockets: [socket('strict', { mode: 'AllowValidOnly', caPem: clientCa.cert }), socket('fallback', { mode: 'AllowInsecureFallback', caPem: clientCa.cert })],
        socketOf: { [gatewayPortId('infra', 'strict', 443)]: 'strict', [gatewayPortId('infra', 'fallback', 443)]: 'fallback' },
      },
    });
    plane.setTable(out.table, resolveSecret);
    await plane.gatewaySocketsSynced();
    for (const key of ['strict', 'fallback']) ports[key] = plane.gatewaySocket(key)!.port;
  });

  after(async () => {
    await plane.stop();
    await backend.close();
  });

  const XFCC = /^Hash=[0-9a-f]{64};Subject="CN=device-1";DNS=device-1\.example\.org$/;

  test('AllowValidOnly: a certificate of the CA is served and the backend sees its subject and SANs in X-Forwarded-Client-Cert', async () => {
    const a = await get(ports.strict!, serverCa.cert, device);
    assert.equal(a.status, 200);
    assert.match(String(a.xfcc), XFCC);
  });

  test('AllowValidOnly: no certificate is refused at the handshake; a certificate of another CA too; the backend sees neither', async () => {
    const seen = backend.requests.length;
    await assert.rejects(get(ports.strict!, serverCa.cert, undefined));
    await assert.rejects(get(ports.strict!, serverCa.cert, stranger));
    assert.equal(backend.requests.length, seen);
  });

  test('without SNI (the default certificate\'s context) the same: the CA\'s certificate served, another CA\'s refused', async () => {
    assert.match(String((await get(ports.strict!, serverCa.cert, device, '', false)).xfcc), XFCC);
    await assert.rejects(get(ports.strict!, serverCa.cert, stranger, '', false));
    await assert.rejects(get(ports.strict!, serverCa.cert, undefined, '', false));
  });

  test('AllowInsecureFallback: with no certificate or another CA\'s served without the header; with the CA\'s, with it', async () => {
    assert.deepEqual(await get(ports.fallback!, serverCa.cert, undefined), { status: 200, xfcc: undefined });
    assert.deepEqual(await get(ports.fallback!, serverCa.cert, stranger), { status: 200, xfcc: undefined });
    const ok = await get(ports.fallback!, serverCa.cert, device);
    assert.match(String(ok.xfcc), XFCC);
  });

  // Differential: what the client wrote against what the backend parsed.
  const FORGED: Array<[string, string]> = [
    ['the header itself', 'X-Forwarded-Client-Cert: Hash=00;Subject="CN=admin"\r\n'],
    ['twice', 'x-forwarded-client-cert: Subject="CN=admin"\r\nX-Forwarded-Client-Cert: Subject="CN=root"\r\n'],
    ['an underscore alias', 'X_Forwarded_Client_Cert: Subject="CN=admin"\r\n'],
    ['named by Connection (to remove wsgate\'s)', 'X-Forwarded-Client-Cert: Subject="CN=admin"\r\nConnection: x-forwarded-client-cert\r\n'],
  ];
  for (const [what, headers] of FORGED) {
    test(`a forged X-Forwarded-Client-Cert (${what}) never reaches the backend: the verified one or none does`, async () => {
      const verified = await get(ports.strict!, serverCa.cert, device, headers);
      assert.equal(verified.status, 200);
      assert.match(String(verified.xfcc), XFCC, 'exactly the verified value, once');
      const unverified = await get(ports.fallback!, serverCa.cert, undefined, headers);
      assert.deepEqual(unverified, { status: 200, xfcc: undefined });
      const last = backend.requests.at(-1)!;
      assert.equal(last.headers['x_forwarded_client_cert'], undefined);
    });
  }

  test('a WebSocket upgrade carries the verified certificate to the backend; a forged header does not', async () => {
    const text = await rawRequest(ports.strict!, serverCa.cert, device, upgradeRequest('/ws', { Host: 'example.org', 'X-Forwarded-Client-Cert': 'Subject="CN=admin"' }));
    assert.match(text, /^HTTP\/1\.1 101/);
    assert.match(String(backend.upgrades.at(-1)!.headers['x-forwarded-client-cert']), XFCC);
    const unverified = await rawRequest(ports.fallback!, serverCa.cert, undefined, upgradeRequest('/ws', { Host: 'example.org', 'X-Forwarded-Client-Cert': 'Subject="CN=admin"' }));
    assert.match(unverified, /^HTTP\/1\.1 101/);
    assert.equal(backend.upgrades.at(-1)!.headers['x-forwarded-client-cert'], undefined);
  });

  test('the access log names the verified certificate\'s subject (clientCert), for requests and WebSocket connections; none without one', async () => {
    const accessLines = (path: string) => logLines.filter((l) => l.msg === 'http request' && l.path === path);
    await get(ports.strict!, serverCa.cert, device, '', true, '/logged-verified');
    await get(ports.fallback!, serverCa.cert, undefined, '', true, '/logged-anonymous');
    const [verified] = await eventually('the verified request logged', () => accessLines('/logged-verified').length > 0 && accessLines('/logged-verified'));
    assert.equal(verified!.clientCert, 'CN=device-1');
    const [anonymous] = await eventually('the anonymous request logged', () => accessLines('/logged-anonymous').length > 0 && accessLines('/logged-anonymous'));
    assert.equal(anonymous!.clientCert, undefined);
    const closed = await eventually('a WebSocket connection closed and logged', () => logLines.find((l) => l.msg === 'connection closed' && l.route === 'HTTPRoute/apps/r-strict/rule-0/match-0@infra/strict/https'));
    assert.equal(closed.clientCert, 'CN=device-1');
  });

  test('HTTP/2: the verified certificate reaches the backend of a plain request', async () => {
    const session = http2.connect(`https://127.0.0.1:${ports.strict}`, { servername: 'example.org', ca: serverCa.cert, ...device, ALPNProtocols: ['h2'] });
    try {
      const r = await h2Request(session, { ':method': 'GET', ':path': '/hello', ':authority': 'example.org', 'x-forwarded-client-cert': 'Subject="CN=admin"' });
      assert.equal(r.status, 200);
      assert.match(String((JSON.parse(r.body.toString('utf8')) as HelloBody).headers['x-forwarded-client-cert']), XFCC);
    } finally {
      await closeSession(session);
    }
  });
});
