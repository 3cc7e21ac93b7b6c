// 421 Misdirected Request on HTTPS listeners (stages/misdirected.ts): a request whose Host names
// a server the connection's SNI would not have reached is refused before lookup, over HTTP/1.1
// and HTTP/2, plain requests and upgrades (RFC 8441 too). On a Gateway socket shaped like the
// conformance test GatewayHTTPSListenerDetectMisdirectedRequests (four listeners, one Secret)
// the Gateway listener decides; on --tls-listen the certificate's Secret does. Clients without
// SNI were served the default certificate: they may ask for what it serves, nothing else.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import type { GatewayRouteEntry, ListenerRef } from '../../src/gatewayapi/model.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import { gatewayPortId, type GatewaySocketInput } from '../../src/routing/gateway-types.js';
import { makeEndpoint, type SecretResolver, type ServiceResolver } from '../../src/routing/types.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { makeCa, type TestCa } from '../helpers/certs.js';
import { closeSession, h2Request } from '../helpers/h2-client.js';
import { startHttpBackend, type HttpBackend } from '../helpers/http-backend.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { route } from '../fixtures.js';
import { entry, service } from '../routing/gateway-entries.js';

type Protocol = 'http/1.1' | 'h2';

/** What a request on a fresh connection got: its status and, when a backend answered, which. */
interface Outcome {
  status: number;
  backend?: string;
}

/** The server name a client sends: a name, or '' for none (as a client connecting to an IP address). */
function clientTls(ca: string, servername: string): tls.ConnectionOptions {
  // The names are forged on purpose (and the conformance certificate covers them all): what is
  // checked is wsgate's answer, not the client's verification of the name.
  return { host: '127.0.0.1', servername, ca, checkServerIdentity: () => undefined };
}

/** One HTTP/1.1 request (or upgrade) over its own TLS connection, Host `host`. */
function overHttp1(port: number, ca: string, servername: string, host: string, path: string, upgrade = false): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...clientTls(ca, servername), port, ALPNProtocols: ['http/1.1'] }, () => {
      socket.write(upgrade ? upgradeRequest(path, { Host: host }) : `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer for ${host} over SNI ${servername || '(none)'}`)), 10_000);
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(text.slice(9, 12));
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve(status === 200 ? { status, backend: (JSON.parse(body) as { backend: string }).backend } : { status });
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // An upgrade's answer is complete with its head (a 101 stays open).
      if (upgrade && Buffer.concat(chunks).includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** One HTTP/2 request (or RFC 8441 WebSocket) on its own session, :authority `host`. */
async function overH2(port: number, ca: string, servername: string, host: string, path: string, upgrade = false): Promise<Outcome> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ...clientTls(ca, servername), ALPNProtocols: ['h2'] });
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
    if (upgrade) {
      const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path, ':authority': host, 'sec-websocket-version': '13' });
      const status = await new Promise<number>((resolve, reject) => {
        stream.once('response', (h) => resolve(Number(h[':status'])));
        stream.once('error', reject);
      });
      // The tunnel (when it opened) is not used: the session goes at once, its stream with it.
      session.destroy();
      return { status };
    }
    const r = await h2Request(session, { ':method': 'GET', ':path': path, ':authority': host });
    return r.status === 200 ? { status: r.status, backend: (JSON.parse(r.body.toString('utf8')) as { backend: string }).backend } : { status: r.status };
  } finally {
    await closeSession(session);
  }
}

const over = (protocol: Protocol) => (protocol === 'h2' ? overH2 : overHttp1);

/** An outcome as the cases name it: "200 v1" (status and backend), "421", "404". */
function shown(o: Outcome): string {
  return o.backend === undefined ? String(o.status) : `${o.status} ${o.backend}`;
}

/** Each case [SNI ('' none), Host, expected outcome] on a connection of its own, compared all at once. */
async function expectCases(protocol: Protocol, port: number, ca: string, cases: ReadonlyArray<[string, string, string]>, path: string): Promise<void> {
  const line = (sni: string, host: string, outcome: string) => `${sni || '(no SNI)'} -> ${host}: ${outcome}`;
  const got: string[] = [];
  for (const [sni, host] of cases) got.push(line(sni, host, shown(await over(protocol)(port, ca, sni, host, path))));
  assert.deepEqual(
    got,
    cases.map(([sni, host, want]) => line(sni, host, want)),
  );
}

describe('421 Misdirected Request on a Gateway HTTPS socket (the conformance shape)', () => {
  let ca: TestCa;
  const backends: HttpBackend[] = [];
  let plane: DataPlane;
  let port: number;

  const listener = (listenerName: string, hostname: string): ListenerRef => ({ gatewayNamespace: 'infra', gatewayName: 'gw', listenerName, port: 443, protocol: 'HTTPS', hostname });
  // As the conformance Gateway: four listeners on one port, one Secret for all of them.
  const SOCKET: GatewaySocketInput = {
    key: 'gw-tls',
    address: '127.0.0.1',
    port: 0,
    protocol: 'HTTPS',
    certificates: ['', 'second-example.org', '*.wildcard.org', 'fourth-example.wildcard.org'].map((hostname) => ({ namespace: 'infra', name: 'shared', ...(hostname ? { hostname } : {}) })),
  };

  before(async () => {
    ca = makeCa();
    const shared = ca.issue('example.org', ['example.org', 'second-example.org', '*.wildcard.org', 'unknown-example.org']);
    for (const name of ['v1', 'v2', 'v3']) backends.push(await startHttpBackend(name));
    const resolveService: ServiceResolver = (_namespace, ref) => {
      const b = backends.find((x) => x.name === ref.name);
      return b ? { ok: true, endpoints: [makeEndpoint('127.0.0.1', b.port)] } : { ok: false, reason: 'ServiceNotFound', message: ref.name };
    };
    const resolveSecret: SecretResolver = (namespace, name) =>
      namespace === 'infra' && name === 'shared'
        ? { ok: true, data: { 'tls.crt': Buffer.from(shared.cert), 'tls.key': Buffer.from(shared.key) } }
        : { ok: false, reason: 'SecretNotFound', message: name };
    // The routes of the conformance manifest, attached to one listener each (hostnames as the translator intersects them).
    const path = { type: 'PathPrefix' as const, value: '/detect-misdirected-requests' };
    const entries: GatewayRouteEntry[] = [
      entry('t1', { listener: listener('https', ''), hostnames: ['example.org'], path, backends: [service('v1', 8080)] }),
      entry('t2', { listener: listener('https-with-hostname', 'second-example.org'), hostnames: ['second-example.org'], path, backends: [service('v2', 8080)] }),
      entry('t3', { listener: listener('https-with-wildcard-hostname', '*.wildcard.org'), hostnames: ['*.wildcard.org'], path, backends: [service('v3', 8080)] }),
      entry('t4', { listener: listener('https-with-hostname-matching-wildcard', 'fourth-example.wildcard.org'), hostnames: ['fourth-example.wildcard.org'], path, backends: [service('v1', 8080)] }),
    ];
    plane = new DataPlane({ logger: pino({ level: 'silent' }), metrics: new Metrics({ defaultMetrics: false }), affinityKey: randomAffinityKey() });
    await plane.listen({ host: '127.0.0.1', port: 0 }, resolveSecret);
    const out = compile({ routes: [], resolveService, resolveSecret, version: 1, gateway: { entries, sockets: [SOCKET], socketOf: { [gatewayPortId('infra', 'gw', 443)]: 'gw-tls' } } });
    plane.setTable(out.table, resolveSecret);
    await plane.gatewaySocketsSynced();
    port = plane.gatewaySocket('gw-tls')!.port;
  });

  after(async () => {
    await plane.stop();
    for (const b of backends) await b.close();
  });

  // GatewayHTTPSListenerDetectMisdirectedRequests, case by case: [SNI, Host, expected].
  const CASES: Array<[string, string, string]> = [
    ['example.org', 'example.org', '200 v1'],
    ['example.org', 'second-example.org', '421'],
    ['example.org', 'unknown-example.org', '404'],
    ['second-example.org', 'second-example.org', '200 v2'],
    ['second-example.org', 'example.org', '421'],
    ['second-example.org', 'unknown-example.org', '421'],
    ['third-example.wildcard.org', 'third-example.wildcard.org', '200 v3'],
    ['third-example.wildcard.org', 'fith-example.wildcard.org', '200 v3'],
    ['third-example.wildcard.org', 'fourth-example.wildcard.org', '421'],
    ['third-example.wildcard.org', 'second-example.org', '421'],
    ['third-example.wildcard.org', 'unknown-example.org', '421'],
    ['fourth-example.wildcard.org', 'fourth-example.wildcard.org', '200 v1'],
    ['fourth-example.wildcard.org', 'fith-example.wildcard.org', '421'],
    ['unknown-example.org', 'example.org', '200 v1'],
    ['unknown-example.org', 'unknown-example.org', '404'],
    // No SNI: the listener without hostname's certificate was served; its hosts only.
    ['', 'example.org', '200 v1'],
    ['', 'second-example.org', '421'],
  ];

  for (const protocol of ['http/1.1', 'h2'] as const) {
    test(`${protocol}: each SNI and Host of the conformance test (a Host of another listener is 421, before lookup)`, async () => {
      await expectCases(protocol, port, ca.cert, CASES, '/detect-misdirected-requests');
    });

    test(`${protocol}: a WebSocket upgrade for another listener's host is 421 and reaches no backend; for its own host it opens`, async () => {
      const seen = backends.reduce((n, b) => n + b.upgrades.length, 0);
      assert.equal((await over(protocol)(port, ca.cert, 'example.org', 'second-example.org', '/detect-misdirected-requests', true)).status, 421);
      assert.equal(backends.reduce((n, b) => n + b.upgrades.length, 0), seen);
      const open = await over(protocol)(port, ca.cert, 'second-example.org', 'second-example.org', '/detect-misdirected-requests', true);
      assert.equal(open.status, protocol === 'h2' ? 200 : 101);
    });
  }
});

describe('421 Misdirected Request on --tls-listen (route certificates)', () => {
  let ca: TestCa;
  let a: HttpBackend;
  let plane: DataPlane;
  let tlsPort: number;

  before(async () => {
    ca = makeCa();
    const pairs: Record<string, { cert: string; key: string }> = {
      'cert-a': ca.issue('a.test', ['a.test', 'shared.test']),
      'cert-b': ca.issue('b.test', ['b.test']),
      'default-cert': ca.issue('default', ['plain.test']),
    };
    a = await startHttpBackend('a');
    const resolveSecret: SecretResolver = (_namespace, name) => {
      const pair = pairs[name];
      return pair ? { ok: true, data: { 'tls.crt': Buffer.from(pair.cert), 'tls.key': Buffer.from(pair.key) } } : { ok: false, reason: 'SecretNotFound', message: name };
    };
    const serve = (name: string, host: string, secret?: string) =>
      route(name, {
        hosts: [host],
        http: { methods: ['GET'] },
        backend: { endpoints: [{ host: '127.0.0.1', port: a.port }] },
        ...(secret ? { tls: { secretRef: { name: secret } } } : {}),
      });
    plane = new DataPlane({
      logger: pino({ level: 'silent' }),
      metrics: new Metrics({ defaultMetrics: false }),
      affinityKey: randomAffinityKey(),
      security: { tlsListen: { host: '127.0.0.1', port: 0 }, tlsDefaultSecret: { namespace: 'default', name: 'default-cert' } },
    });
    const out = compile({ routes: [serve('a', 'a.test', 'cert-a'), serve('shared', 'shared.test', 'cert-a'), serve('b', 'b.test', 'cert-b'), serve('plain', 'plain.test')], resolveSecret, version: 1 });
    plane.setTable(out.table, resolveSecret);
    tlsPort = (await plane.listen({ host: '127.0.0.1', port: 0 }, resolveSecret)).tls!.port;
  });

  after(async () => {
    await plane.stop();
    await a.close();
  });

  const CASES: Array<[string, string, string]> = [
    ['a.test', 'a.test', '200 a'],
    // The same Secret: a browser may coalesce these hosts on one connection.
    ['a.test', 'shared.test', '200 a'],
    ['a.test', 'b.test', '421'],
    // A host without a certificate of its own is the default certificate's.
    ['a.test', 'plain.test', '421'],
    ['b.test', 'a.test', '421'],
    ['unknown.test', 'plain.test', '200 a'],
    ['', 'plain.test', '200 a'],
    ['', '127.0.0.1', '404'],
    ['', 'a.test', '421'],
  ];

  for (const protocol of ['http/1.1', 'h2'] as const) {
    test(`${protocol}: a Host of another certificate (or of the default one) is 421; the same Secret's hosts are served`, async () => {
      await expectCases(protocol, tlsPort, ca.cert, CASES, '/');
    });
  }
});
