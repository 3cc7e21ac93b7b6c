// The data plane of HTTPRoute entries, in process over real sockets: a DataPlane (as a worker
// thread runs it) fed with tables the real compiler makes from GatewayRouteEntry objects, real
// backends (plain HTTP and WebSocket), node:http requests and ws clients. Covers the Gateway
// sockets (opened and closed on swaps without dropping an established WebSocket, HTTPS with a
// certificate per SNI name, bind errors retried), listener isolation, redirects (plain and
// upgrade), 500 for invalid backendRefs, weights, header modifiers on requests, plain
// responses and the 101, URLRewrite and the request timeouts.

import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import type { GatewayRouteEntry, HeaderModifier, RouteBackend } from '../../src/gatewayapi/model.js';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile, type CompileOutput } from '../../src/routing/compile.js';
import { gatewayPortId, MAIN_LISTENER, type GatewaySocketInput } from '../../src/routing/gateway-types.js';
import { makeEndpoint, type SecretResolver, type ServiceResolver } from '../../src/routing/types.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { closeSession, h2Connect, h2Request } from '../helpers/h2-client.js';
import { makeCa } from '../helpers/certs.js';
import { plainRequest, startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { prng } from '../helpers/prng.js';
import { rawRequest, upgradeRequest } from '../helpers/raw-http.js';
import { entry, service } from '../routing/gateway-entries.js';

const mods = (m: Partial<HeaderModifier>): HeaderModifier => ({ set: [], add: [], remove: [], ...m });
const invalid: RouteBackend = { valid: false, weight: 1, reason: 'BackendNotFound', message: 'Service apps/missing not found' };
const hello = (body: Buffer) => JSON.parse(body.toString('utf8')) as HelloBody;

/** Sockets: Gateway `gw` port 80 -> "gw-1", `other` port 80 -> "gw-2", `secure` port 443 -> "gw-tls" (all on 127.0.0.1, port 0). */
const SOCKET_OF = {
  [gatewayPortId('infra', 'gw', 80)]: 'gw-1',
  [gatewayPortId('infra', 'other', 80)]: 'gw-2',
  [gatewayPortId('infra', 'secure', 443)]: 'gw-tls',
  [gatewayPortId('infra', 'main', 8080)]: MAIN_LISTENER,
};
const httpSocket = (key: string, port = 0): GatewaySocketInput => ({ key, address: '127.0.0.1', port, protocol: 'HTTP', certificates: [] });
const TLS_SOCKET: GatewaySocketInput = {
  key: 'gw-tls',
  address: '127.0.0.1',
  port: 0,
  protocol: 'HTTPS',
  certificates: [
    { namespace: 'infra', name: 'cert-a', hostname: 'a.example' },
    { namespace: 'infra', name: 'cert-b', hostname: 'b.example' },
  ],
};

interface WsResult {
  ws: WebSocket;
  upgradeHeaders: http.IncomingHttpHeaders;
  greeting: { backend: string; path: string; headers: http.IncomingHttpHeaders };
}

/** Opens a WebSocket through wsgate and waits for the backend's greeting. */
function openWs(port: number, path: string, host: string): Promise<WsResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host }, handshakeTimeout: 5000 });
    let upgradeHeaders: http.IncomingHttpHeaders = {};
    ws.once('upgrade', (res) => (upgradeHeaders = res.headers));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers }));
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('message', (data) => resolve({ ws, upgradeHeaders, greeting: JSON.parse(data.toString()) as WsResult['greeting'] }));
  });
}

function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(data.toString()));
    ws.once('error', reject);
    ws.send(text);
  });
}

function closeWs(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(1000);
  });
}

describe('HTTPRoute data plane', () => {
  let a: HttpBackend;
  let b: HttpBackend;
  let plane: DataPlane;
  let mainPort: number;
  let version = 0;
  let random: () => number = Math.random;
  const metrics = new Metrics({ defaultMetrics: false });
  const ca = makeCa();
  const certA = ca.issue('a.example', ['a.example']);
  const certB = ca.issue('b.example', ['b.example']);
  const certA2 = ca.issue('a.example', ['a.example']);
  let rotated = false;

  const resolveService: ServiceResolver = (namespace, ref) => {
    const key = `${namespace}/${ref.name}`;
    if (key === 'apps/a') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', a.port)] };
    if (key === 'apps/b') return { ok: true, endpoints: [makeEndpoint('127.0.0.1', b.port)] };
    if (key === 'apps/empty') return { ok: true, endpoints: [] };
    return { ok: false, reason: 'ServiceNotFound', message: `Service ${key} not found` };
  };
  const resolveSecret: SecretResolver = (namespace, name) => {
    const pair = namespace === 'infra' && name === 'cert-a' ? (rotated ? certA2 : certA) : namespace === 'infra' && name === 'cert-b' ? certB : undefined;
    if (!pair) return { ok: false, reason: 'SecretNotFound', message: `Secret ${namespace}/${name} not found` };
    return { ok: true, data: { 'tls.crt': Buffer.from(pair.cert), 'tls.key': Buffer.from(pair.key) } };
  };

  /** Compiles `entries` with `sockets` and swaps the table in; resolves once the sockets are synced. */
  async function apply(entries: GatewayRouteEntry[], sockets: GatewaySocketInput[] = [httpSocket('gw-1'), httpSocket('gw-2'), TLS_SOCKET]): Promise<CompileOutput> {
    const out = compile({ routes: [], resolveService, resolveSecret, version: ++version, gateway: { entries, sockets, socketOf: SOCKET_OF } });
    plane.setTable(out.table, resolveSecret);
    await plane.gatewaySocketsSynced();
    return out;
  }
  const port = (key: string) => {
    const s = plane.gatewaySocket(key);
    assert.ok(s, `socket ${key} is open`);
    return s.port;
  };
  const on = (host: string, over: Partial<GatewayRouteEntry>, name = host.split('.')[0]!, gateway = 'gw') =>
    entry(name, { hostnames: [host], ...over }, { gateway });

  /** The table most tests use: one entry per host on socket gw-1. */
  const baseEntries = (): GatewayRouteEntry[] => [
    on('r301.example', { filters: { redirect: { scheme: 'https', statusCode: 301 } } }),
    on('r302.example', { filters: { redirect: { hostname: 'elsewhere.example', statusCode: 302 } } }),
    on('r303.example', { filters: { redirect: { port: 8443, statusCode: 303 } } }),
    on('r307.example', { path: { type: 'PathPrefix', value: '/old' }, filters: { redirect: { path: { type: 'ReplacePrefixMatch', value: '/new' }, statusCode: 307 } } }),
    on('r308.example', { filters: { redirect: { path: { type: 'ReplaceFullPath', value: '/moved' }, scheme: 'http', port: 80, statusCode: 308 } } }),
    // Gateway `main` port 8080 is served on the main socket, which listens on another port.
    entry('r8080', { hostnames: ['r8080.example'], filters: { redirect: { hostname: 'elsewhere.example', statusCode: 302 } } }, { gateway: 'main', port: 8080 }),
    entry('r8080s', { hostnames: ['r8080s.example'], filters: { redirect: { scheme: 'https', statusCode: 302 } } }, { gateway: 'main', port: 8080 }),
    on('none.example', { backends: [] }),
    on('half.example', { backends: [invalid, service('a', 80)] }),
    on('zero.example', { backends: [service('a', 80, 0), service('b', 80, 1)] }),
    on('split.example', { backends: [service('a', 80, 1), service('b', 80, 3)] }),
    on('headers.example', {
      filters: {
        requestHeaders: mods({ set: [{ name: 'X-Set', value: 'rule' }], add: [{ name: 'X-Add', value: 'added' }], remove: ['x-remove'] }),
        responseHeaders: mods({ set: [{ name: 'X-Resp-Set', value: 'rule' }], add: [{ name: 'X-Resp-Add', value: 'r2' }], remove: ['content-type'] }),
      },
      backends: [
        {
          ...(service('a', 80) as Extract<RouteBackend, { valid: true }>),
          requestHeaders: mods({ set: [{ name: 'x-set', value: 'backend' }, { name: 'X-Backend', value: 'a' }] }),
          responseHeaders: mods({ add: [{ name: 'X-Resp-Backend', value: 'a' }] }),
        },
      ],
    }),
    on('rewrite.example', { path: { type: 'PathPrefix', value: '/api' }, backends: [service('a', 80)], filters: { urlRewrite: { hostname: 'internal.example', path: { type: 'ReplacePrefixMatch', value: '/v2/' } } } }),
    on('full.example', { backends: [service('a', 80)], filters: { urlRewrite: { path: { type: 'ReplaceFullPath', value: '/fixed' } } } }),
    on('timeout.example', { timeouts: { requestMs: 300 }, backends: [service('a', 80)] }),
    on('attempt.example', { timeouts: { backendRequestMs: 300 }, backends: [service('a', 80)] }),
    on('plain.example', { backends: [service('a', 80)] }),
    entry('sticky', { hostnames: ['sticky.example'], backends: [service('a', 80), service('b', 80)] }, { gateway: 'gw', behaviour: { sessionAffinity: { cookie: {} } } }),
    // Listener isolation: the same host and path on two sockets, to different backends.
    entry('iso-1', { hostnames: ['iso.example'], backends: [service('a', 80)] }, { gateway: 'gw' }),
    entry('iso-2', { hostnames: ['iso.example'], backends: [service('b', 80)] }, { gateway: 'other' }),
    entry('secure', { listener: { gatewayNamespace: 'infra', gatewayName: 'secure', listenerName: 'https', port: 443, protocol: 'HTTPS' }, backends: [service('b', 80)] }),
  ];

  before(async () => {
    a = await startHttpBackend('a');
    b = await startHttpBackend('b');
    plane = new DataPlane({ logger: pino({ level: 'silent' }), metrics, affinityKey: randomAffinityKey(), random: () => random() });
    mainPort = (await plane.listen({ host: '127.0.0.1', port: 0 }, resolveSecret)).proxy.port;
    await apply(baseEntries());
  });

  after(async () => {
    await plane.stop();
    await a.close();
    await b.close();
  });

  test('redirects: scheme, hostname, port, prefix and full path, each status code; nothing reaches a backend, upgrades included', async () => {
    const before = a.requests.length + b.requests.length + a.upgrades.length + b.upgrades.length;
    const p = port('gw-1');
    // Without a port in the filter the Location keeps the Gateway listener's port (80 for gw-1,
    // 8080 for main), not the port the socket listens on, and leaves out a scheme's default.
    const cases: Array<[host: string, path: string, status: number, location: string, socketPort?: number]> = [
      ['r301.example', '/x/y?q=1', 301, 'https://r301.example/x/y?q=1'],
      ['r302.example', '/x?q=%2F', 302, 'http://elsewhere.example/x?q=%2F'],
      ['r303.example', '/x', 303, 'http://r303.example:8443/x'],
      ['r307.example', '/old/page?k=v', 307, 'http://r307.example/new/page?k=v'],
      ['r308.example', '/anything?z', 308, 'http://r308.example/moved?z'],
      ['r8080.example', '/x', 302, 'http://elsewhere.example:8080/x', mainPort],
      ['r8080s.example', '/x', 302, 'https://r8080s.example/x', mainPort],
    ];
    assert.notEqual(p, 80);
    assert.notEqual(mainPort, 8080);
    for (const [host, path, status, location, socketPort = p] of cases) {
      const res = await plainRequest(socketPort, path, { method: 'POST', headers: { host } });
      assert.equal(res.status, status, host);
      assert.equal(res.headers.location, location, host);
      const up = await rawRequest(socketPort, upgradeRequest(path, { Host: host }));
      assert.equal(up.status, status, `${host} upgrade`);
      assert.equal(up.headers.location, location, `${host} upgrade`);
    }
    assert.equal(a.requests.length + b.requests.length + a.upgrades.length + b.upgrades.length, before);
  });

  test('no backendRefs: 500; an invalid backendRef: 500 for its weight share exactly', async () => {
    const p = port('gw-1');
    assert.equal((await plainRequest(p, '/', { headers: { host: 'none.example' } })).status, 500);
    assert.equal((await rawRequest(p, upgradeRequest('/', { Host: 'none.example' }))).status, 500);
    // Weights 1:1 (invalid first): random values below 0.5 pick the invalid one.
    const draws = [0.1, 0.7, 0.3, 0.9, 0.49, 0.5];
    let i = 0;
    random = () => draws[i++ % draws.length]!;
    try {
      const statuses: number[] = [];
      for (let k = 0; k < draws.length; k++) statuses.push((await plainRequest(p, '/', { headers: { host: 'half.example' } })).status);
      assert.deepEqual(statuses, [500, 200, 500, 200, 500, 200]);
    } finally {
      random = Math.random;
    }
    // With the real random source: a share near half over N=200 (binomial: outside 60..140 has p < 1e-8).
    let fivehundreds = 0;
    for (let k = 0; k < 200; k++) if ((await plainRequest(p, '/', { headers: { host: 'half.example' } })).status === 500) fivehundreds++;
    assert.ok(fivehundreds > 60 && fivehundreds < 140, `${fivehundreds} of 200 answered 500`);
  });

  test('weights: 0 is never chosen; 1:3 splits as the (seeded) random source says', async () => {
    const p = port('gw-1');
    for (let k = 0; k < 30; k++) assert.equal(hello((await plainRequest(p, '/', { headers: { host: 'zero.example' } })).body).backend, 'b');
    const ws = await openWs(p, '/', 'zero.example');
    assert.equal(ws.greeting.backend, 'b');
    await closeWs(ws.ws);
    random = prng(42);
    try {
      const counts: Record<string, number> = { a: 0, b: 0 };
      for (let k = 0; k < 200; k++) counts[hello((await plainRequest(p, '/', { headers: { host: 'split.example' } })).body).backend]!++;
      // Seeded: the same split every run, close to 50:150.
      assert.ok(counts.a! > 30 && counts.a! < 70, JSON.stringify(counts));
      assert.equal(counts.a! + counts.b!, 200);
    } finally {
      random = Math.random;
    }
  });

  test('request and response header modifiers (the rule\'s, then the backendRef\'s) on plain requests and on the upgrade and its 101', async () => {
    const p = port('gw-1');
    const res = await plainRequest(p, '/h', { headers: { host: 'headers.example', 'x-add': 'client', 'x-remove': 'gone', 'X-Set': 'client' } });
    assert.equal(res.status, 200);
    const seen = hello(res.body).headers;
    assert.equal(seen['x-set'], 'backend');
    assert.equal(seen['x-backend'], 'a');
    assert.equal(seen['x-add'], 'client, added');
    assert.equal(seen['x-remove'], undefined);
    assert.equal(res.headers['x-resp-set'], 'rule');
    assert.equal(res.headers['x-resp-add'], 'r2');
    assert.equal(res.headers['x-resp-backend'], 'a');
    assert.equal(res.headers['content-type'], undefined, 'removed from the response');

    const ws = await openWs(p, '/h', 'headers.example');
    assert.equal(ws.greeting.headers['x-set'], 'backend');
    assert.equal(ws.greeting.headers['x-add'], 'added');
    assert.equal(ws.upgradeHeaders['x-resp-set'], 'rule');
    assert.equal(ws.upgradeHeaders['x-resp-add'], 'r2');
    assert.equal(ws.upgradeHeaders['x-resp-backend'], 'a');
    assert.equal(await echo(ws.ws, 'still a WebSocket'), 'still a WebSocket');
    await closeWs(ws.ws);
  });

  test('session affinity holds across weighted backendRefs: the cookie\'s backendRef is chosen, whatever the weights draw', async () => {
    const p = port('gw-1');
    const first = await plainRequest(p, '/', { headers: { host: 'sticky.example' } });
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    assert.ok(setCookie.startsWith('wsgate-affinity='), 'the first answer sets the cookie');
    const cookie = setCookie.split(';')[0]!;
    const backend = hello(first.body).backend;
    const draws = [0.1, 0.9];
    let i = 0;
    random = () => draws[i++ % draws.length]!;
    try {
      for (let k = 0; k < 10; k++) {
        const res = await plainRequest(p, '/', { headers: { host: 'sticky.example', cookie } });
        assert.equal(hello(res.body).backend, backend);
        assert.equal(res.headers['set-cookie'], undefined, 'the cookie already names the endpoint');
      }
    } finally {
      random = Math.random;
    }
  });

  test('URLRewrite: the Host the backend sees, ReplacePrefixMatch and ReplaceFullPath with the query kept', async () => {
    const p = port('gw-1');
    const r = hello((await plainRequest(p, '/api/users/7?x=%2F&y', { headers: { host: 'rewrite.example' } })).body);
    assert.equal(r.url, '/v2/users/7?x=%2F&y');
    assert.equal(r.headers.host, 'internal.example');
    assert.equal(hello((await plainRequest(p, '/api?z=1', { headers: { host: 'rewrite.example' } })).body).url, '/v2?z=1');
    assert.equal(hello((await plainRequest(p, '/some/where?k=v', { headers: { host: 'full.example' } })).body).url, '/fixed?k=v');
    const ws = await openWs(p, '/api/live?s=1', 'rewrite.example');
    assert.equal(ws.greeting.path, '/v2/live?s=1');
    assert.equal(ws.greeting.headers.host, 'internal.example');
    await closeWs(ws.ws);
  });

  test('HTTPRoute matching, URLRewrite and redirects work on the normalised path and Host (upgrades too)', async () => {
    const p = port('gw-1');
    // "//%61pi" is "/api" to the PathPrefix match; ReplacePrefixMatch computes from that path.
    const r = hello((await plainRequest(p, '//%61pi//users/%37?x=%2f', { headers: { host: 'Rewrite.Example.' } })).body);
    assert.equal(r.url, '/v2/users/7?x=%2f');
    const plain = hello((await plainRequest(p, '/some//wh%65re', { headers: { host: 'plain.example.:80' } })).body);
    assert.deepEqual([plain.url, plain.headers.host], ['/some/where', 'plain.example:80']);
    const redirect = await plainRequest(p, '/%6Fld//page?k=v', { headers: { host: 'r307.example.' } });
    assert.deepEqual([redirect.status, redirect.headers.location], [307, 'http://r307.example/new/page?k=v']);
    const ws = await openWs(p, '//%61pi/live?s=1', 'rewrite.example.');
    assert.equal(ws.greeting.path, '/v2/live?s=1');
    await closeWs(ws.ws);
    for (const target of ['/api%2Fusers', '/api#x', '/api;x']) {
      assert.equal((await plainRequest(p, target, { headers: { host: 'rewrite.example' } })).status, 400, target);
      assert.equal((await rawRequest(p, upgradeRequest(target, { Host: 'rewrite.example' }))).status, 400, `${target} upgrade`);
    }
  });

  test('timeouts: request and backendRequest answer 504; an upgraded connection outlives them', async () => {
    const p = port('gw-1');
    const t0 = performance.now();
    assert.equal((await plainRequest(p, '/hold?ms=5000', { headers: { host: 'timeout.example' } })).status, 504);
    assert.equal((await plainRequest(p, '/hold?ms=5000', { headers: { host: 'attempt.example' } })).status, 504);
    assert.ok(performance.now() - t0 < 4000, 'both cut well before the backend answers');
    assert.equal((await plainRequest(p, '/hold?ms=10', { headers: { host: 'timeout.example' } })).status, 200);
    const ws = await openWs(p, '/', 'timeout.example');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await echo(ws.ws, 'after the request timeout'), 'after the request timeout');
    await closeWs(ws.ws);
  });

  test('listener isolation: the same host and path answer from different backends on two sockets, and not on the main one', async () => {
    assert.equal(hello((await plainRequest(port('gw-1'), '/p', { headers: { host: 'iso.example' } })).body).backend, 'a');
    assert.equal(hello((await plainRequest(port('gw-2'), '/p', { headers: { host: 'iso.example' } })).body).backend, 'b');
    assert.equal((await plainRequest(mainPort, '/p', { headers: { host: 'iso.example' } })).status, 404);
    assert.equal((await plainRequest(port('gw-2'), '/p', { headers: { host: 'plain.example' } })).status, 404);
  });

  test('HTTPS socket: the certificate by SNI among two, requests and upgrades through it', async () => {
    const p = port('gw-tls');
    const get = (name: string) =>
      new Promise<{ cn: string; serial: string; body: HelloBody }>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: p, path: '/s', servername: name, ca: ca.cert, headers: { host: name }, agent: false }, (res) => {
          const cert = (res.socket as tls.TLSSocket).getPeerCertificate();
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ cn: String(cert.subject.CN), serial: cert.serialNumber, body: hello(Buffer.concat(chunks)) }));
        });
        req.on('error', reject);
        req.end();
      });
    const serials: string[] = [];
    for (const name of ['a.example', 'b.example']) {
      const { cn, serial, body } = await get(name);
      serials.push(serial);
      assert.equal(cn, name);
      assert.equal(body.backend, 'b');
      assert.equal(body.headers['x-forwarded-proto'], 'https');
    }
    const ws = new WebSocket(`wss://127.0.0.1:${p}/s`, { servername: 'b.example', ca: ca.cert, headers: { host: 'b.example' } } as WebSocket.ClientOptions);
    const greeting = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(d.toString()));
      ws.once('error', reject);
    });
    assert.equal((JSON.parse(greeting) as { backend: string }).backend, 'b');
    // A rotated certificate Secret: the next table's handshakes get it, on the same socket, while the WebSocket stays.
    rotated = true;
    try {
      await apply(baseEntries());
      assert.equal(port('gw-tls'), p);
      const after = await get('a.example');
      assert.equal(after.cn, 'a.example');
      assert.notEqual(after.serial, serials[0]);
      assert.equal(await echo(ws, 'across the rotation'), 'across the rotation');
    } finally {
      rotated = false;
      await apply(baseEntries());
    }
    await closeWs(ws);
  });

  test('HTTPS socket: HTTP/2 by ALPN, and a plain request over it passes the same stages (backend, forwarded proto)', async () => {
    const session = await h2Connect(port('gw-tls'), ca.cert, 'a.example');
    try {
      assert.equal(session.alpnProtocol, 'h2');
      const r = await h2Request(session, { ':method': 'GET', ':path': '/s', ':authority': 'a.example' });
      assert.equal(r.status, 200);
      const body = hello(r.body);
      assert.equal(body.backend, 'b');
      assert.equal(body.headers['x-forwarded-proto'], 'https');
      assert.equal(body.headers.host, 'a.example');
    } finally {
      await closeSession(session);
    }
  });

  test('HTTPS socket: a client without SNI (an IP address) gets the \'\' certificate, or without one the first', async () => {
    /** A request over TLS to 127.0.0.1 with no server name sent; the peer certificate's CN and the answer. */
    const withoutSni = (p: number) =>
      new Promise<{ cn: string; status: string; backend: string }>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: p, servername: '', ca: ca.cert, checkServerIdentity: () => undefined, ALPNProtocols: ['http/1.1'] }, () => {
          socket.write('GET /s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
        });
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const body = text.slice(text.indexOf('\r\n\r\n') + 4);
          resolve({ cn: String(socket.getPeerCertificate().subject.CN), status: text.slice(9, 12), backend: hello(Buffer.from(body)).backend });
        });
      });
    // cert-a (a.example) and cert-b (b.example), neither for any hostname: the first.
    const first = await withoutSni(port('gw-tls'));
    assert.deepEqual(first, { cn: 'a.example', status: '200', backend: 'b' });
    // cert-b on a listener without hostname becomes the default, on the same socket.
    const withAny: GatewaySocketInput = { ...TLS_SOCKET, certificates: [TLS_SOCKET.certificates[0]!, { namespace: 'infra', name: 'cert-b' }] };
    try {
      await apply(baseEntries(), [httpSocket('gw-1'), httpSocket('gw-2'), withAny]);
      assert.equal((await withoutSni(port('gw-tls'))).cn, 'b.example');
    } finally {
      await apply(baseEntries());
    }
    assert.equal((await withoutSni(port('gw-tls'))).cn, 'a.example');
  });

  test('a Gateway socket closes when it leaves the table without dropping an established WebSocket on it, and opens again when it returns', async () => {
    const p2 = port('gw-2');
    const ws = await openWs(p2, '/', 'iso.example');
    assert.equal(ws.greeting.backend, 'b');
    // A plain request in flight on the socket finishes too.
    const inFlight = plainRequest(p2, '/hold?ms=300', { headers: { host: 'iso.example' } });
    await b.waitForRequest((r) => r.url === '/hold?ms=300');
    await apply(baseEntries(), [httpSocket('gw-1'), TLS_SOCKET]);
    assert.equal(plane.gatewaySocket('gw-2'), undefined);
    await assert.rejects(plainRequest(p2, '/', { headers: { host: 'iso.example' } }), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    assert.equal(await echo(ws.ws, 'survives the close'), 'survives the close');
    assert.equal((await inFlight).status, 200);
    await apply(baseEntries());
    assert.equal(hello((await plainRequest(port('gw-2'), '/', { headers: { host: 'iso.example' } })).body).backend, 'b');
    assert.equal(await echo(ws.ws, 'and the reopen'), 'and the reopen');
    await closeWs(ws.ws);
  });

  test('a socket that cannot be bound is logged and counted, the others serve, and it is bound on a later swap', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const busy = (blocker.address() as net.AddressInfo).port;
    await apply(baseEntries(), [httpSocket('gw-1'), httpSocket('gw-2', busy), TLS_SOCKET]);
    assert.equal(plane.gatewaySocket('gw-2'), undefined);
    assert.equal(hello((await plainRequest(port('gw-1'), '/', { headers: { host: 'iso.example' } })).body).backend, 'a');
    const counted = (await metrics.gatewaySocketBindErrors.get()).values.find((v) => v.labels.listener === 'gw-2' && v.labels.code === 'EADDRINUSE');
    assert.equal(counted?.value, 1);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await apply(baseEntries(), [httpSocket('gw-1'), httpSocket('gw-2', busy), TLS_SOCKET]);
    assert.equal(port('gw-2'), busy);
    assert.equal(hello((await plainRequest(busy, '/', { headers: { host: 'iso.example' } })).body).backend, 'b');
  });
});

describe('Gateway sockets of several data planes (worker threads)', () => {
  test('with reusePort every plane binds the same Gateway socket, and each serves on it', async () => {
    const backend = await startHttpBackend('shared');
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const fixed = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const metrics = new Metrics({ defaultMetrics: false });
    const planes = [0, 1].map(() => new DataPlane({ logger: pino({ level: 'silent' }), metrics, affinityKey: randomAffinityKey() }));
    try {
      const out = compile({
        routes: [],
        resolveService: () => ({ ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] }),
        version: 1,
        gateway: { entries: [entry('shared', { backends: [service('shared', 80)] })], sockets: [httpSocket('gw-1', fixed)], socketOf: SOCKET_OF },
      });
      for (const plane of planes) {
        await plane.listen({ host: '127.0.0.1', port: 0 }, undefined, true);
        plane.setTable(out.table, undefined);
        await plane.gatewaySocketsSynced();
        assert.equal(plane.gatewaySocket('gw-1')?.port, fixed);
      }
      assert.equal((await metrics.gatewaySocketBindErrors.get()).values.length, 0);
      assert.equal(hello((await plainRequest(fixed, '/', { headers: { host: 'any.example' } })).body).backend, 'shared');
    } finally {
      for (const plane of planes) await plane.stop();
      await backend.close();
    }
  });
});
