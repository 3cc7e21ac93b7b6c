// WebSockets over HTTP/2 (RFC 8441) end to end in process: Node's http2 client opens extended
// CONNECT streams on wsgate's own TLS listener and HTTP/2 server (the production wiring), and
// real `ws` backends answer over HTTP/1.1. Messages of every kind, the stages (routing,
// admission, limits, affinity), the lifecycle (drain, shutdown, a backend that dies) and
// refusals as HTTP/2 answers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import path from 'node:path';
import { SignJWT } from 'jose';
import pino from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { closeWebSocketServer, startEchoServer, type EchoServer, type Hello } from '../../examples/echo-server.js';
import { SecurityGuard } from '../../src/admission/guard.js';
import { metricsObserver } from '../../src/metrics/proxy-observer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { ProcessCounters } from '../../src/overload/process-counters.js';
import type { SecretResolver } from '../../src/routing/types.js';
import { route } from '../fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { bodyOf, extendedConnect, openH2WebSocket } from '../helpers/h2-websocket.js';
import { startH2Proxy, type H2Proxy } from '../helpers/h2-proxy.js';
import { repoRoot } from '../helpers/wsgate-child.js';

type Harness = H2Proxy;
const harness = startH2Proxy;

const at = (...bs: Array<{ port: number }>) => bs.map((b) => ({ host: '127.0.0.1', port: b.port }));
const MiB = 1024 * 1024;

/**
 * A backend that does what its client asks: "flood N" sends N binary messages of 1 MiB (the
 * i-th filled with byte i), "close CODE" closes with that code; upgrades to /refuse get 403.
 */
async function startScriptedBackend(): Promise<{ port: number; clients: Set<WebSocket>; close(): Promise<void> }> {
  const server = http.createServer();
  const wss = new WebSocketServer({
    server,
    verifyClient: (info: { req: http.IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => done(info.req.url !== '/refuse', 403, 'Forbidden'),
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const [verb, arg] = data.toString().split(' ');
      if (verb === 'flood') for (let i = 0; i < Number(arg); i++) ws.send(Buffer.alloc(MiB, i));
      else if (verb === 'close') ws.close(Number(arg), 'server bye');
    });
    ws.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as net.AddressInfo).port, clients: wss.clients, close: () => closeWebSocketServer(wss, server) };
}

/** An extended CONNECT accepted once the slot a closed stream held is given back (its close is not awaitable here). */
function acceptedOnceFree(session: http2.ClientHttp2Session, path: string) {
  return eventually('the slot is given back when the stream closes', async () => {
    const a = await extendedConnect(session, path);
    if (a.status === 200) return a;
    await bodyOf(a);
    return undefined;
  });
}

/** The echo backend as a process of its own, to be killed with SIGKILL. */
async function startEchoProcess(name: string): Promise<{ port: number; kill(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/examples/echo-server.js'), name, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on [\d.]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo process exited (${code}) before listening`)));
  });
  return {
    port,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('RFC 8441: messages over an HTTP/2 stream', () => {
  let echo: EchoServer;
  let scripted: Awaited<ReturnType<typeof startScriptedBackend>>;
  let h: Harness;
  before(async () => {
    echo = await startEchoServer({ name: 'e1' });
    scripted = await startScriptedBackend();
    h = await harness([
      route('chat', { match: { path: '/chat/{rest}' }, backend: { endpoints: at(echo), path: '/ws/{rest}' } }),
      route('scripted', { match: { path: '/scripted' }, backend: { endpoints: at(scripted) } }),
      route('refuse', { match: { path: '/refuse' }, backend: { endpoints: at(scripted) } }),
    ]);
  });
  after(async () => {
    await h.close();
    await echo.close();
    await scripted.close();
  });

  test('the backend gets an HTTP/1.1 upgrade: host from :authority, the rewritten path, a key wsgate made; the client gets :status 200 and text back', async () => {
    const c = await openH2WebSocket(h.session, '/chat/room1?x=1', { 'sec-websocket-protocol': 'chat.v1, chat.v2' });
    assert.equal(c.headers[':status'], 200);
    assert.equal(c.headers['sec-websocket-protocol'], 'chat.v1');
    assert.equal(c.headers['sec-websocket-accept'], undefined, 'RFC 8441 5: no accept over h2');
    const hello = JSON.parse(String(await c.next())) as Hello;
    assert.equal(hello.path, '/ws/room1?x=1');
    assert.equal(hello.headers.host, 'chat.test');
    assert.equal(hello.headers.upgrade, 'websocket');
    assert.match(String(hello.headers['sec-websocket-key']), /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(hello.headers['sec-websocket-version'], '13');
    c.ws.send('hello over h2');
    assert.equal(await c.next(), 'hello over h2');
    c.ws.close(4000, 'bye');
    assert.deepEqual(await c.closed, { code: 4000, reason: 'bye' });
  });

  test('binary, fragmented, ping/pong and a 16 MiB message pass whole', async () => {
    const c = await openH2WebSocket(h.session, '/chat/r');
    await c.next();
    const bin = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    c.ws.send(bin);
    assert.deepEqual(await c.next(), bin);
    // One text message in three frames: the backend assembles it and echoes it whole.
    c.ws.send('frag-', { fin: false });
    c.ws.send('ment-', { fin: false });
    c.ws.send('ed', { fin: true });
    assert.equal(await c.next(), 'frag-ment-ed');
    const pong = new Promise<Buffer>((resolve) => c.ws.once('pong', resolve));
    c.ws.ping(Buffer.from('are you there'));
    assert.equal((await pong).toString(), 'are you there');
    const big = Buffer.alloc(16 * MiB);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    c.ws.send(big);
    const back = (await c.next()) as Buffer;
    assert.equal(back.length, big.length);
    assert.ok(back.equals(big), '16 MiB echoed byte for byte');
    c.ws.close(1000);
    assert.equal((await c.closed).code, 1000);
  });

  test('the backend\'s close code reaches the client, then END_STREAM; the connection leaves the registry', async () => {
    const c = await openH2WebSocket(h.session, '/scripted');
    const ended = new Promise<void>((resolve) => c.stream.once('end', resolve));
    c.ws.send('close 4001');
    assert.deepEqual(await c.closed, { code: 4001, reason: 'server bye' });
    await ended;
    await eventually('the connection is gone', () => h.proxy.connections.size === 0);
  });

  test('a stream the client resets ends the backend\'s connection', async () => {
    const c = await openH2WebSocket(h.session, '/chat/reset');
    await c.next();
    assert.equal(echo.clients.size, 1);
    c.stream.close(http2.constants.NGHTTP2_CANCEL);
    await eventually('the backend connection ends', () => echo.clients.size === 0 && h.proxy.connections.size === 0);
  });

  test('a reader that stops: wsgate stops reading the backend (h2 flow control as backpressure) and holds little; everything arrives once it reads again', async () => {
    const c = await openH2WebSocket(h.session, '/scripted');
    const n = 24;
    const got: Buffer[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    c.ws.on('message', (d: Buffer) => {
      got.push(d);
      if (got.length === n) done();
    });
    c.stream.pause();
    // The pause reaches ws's socket handler before the flood: it reads nothing from here on.
    c.ws.send(`flood ${n}`);
    const conn = await eventually('wsgate stops reading the backend', () => {
      const live = h.proxy.connections.list()[0];
      return live && (live.backend as net.Socket).isPaused() ? live : undefined;
    });
    const held = conn.client.writableLength;
    const read = (conn.backend as net.Socket).bytesRead;
    assert.ok(held <= MiB, `wsgate holds ${held} bytes for the stream`);
    assert.ok(read < (n * MiB) / 2, `wsgate read ${read} of ${n * MiB} bytes`);
    c.stream.resume();
    await all;
    got.forEach((m, i) => assert.ok(m.length === MiB && m[0] === i && m[MiB - 1] === i, `message ${i}`));
    c.ws.close(1000);
    await c.closed;
  });

  test('refusals are HTTP/2 answers: no route 404, a wrong version 426, the backend\'s own refusal relayed with its body', async () => {
    const none = await extendedConnect(h.session, '/nowhere');
    assert.equal(none.status, 404);
    assert.match(await bodyOf(none), /no route/);
    const version = await extendedConnect(h.session, '/chat/r', { 'sec-websocket-version': '8' });
    assert.equal(version.status, 426);
    assert.equal(version.headers['sec-websocket-version'], '13');
    await bodyOf(version);
    const refused = await extendedConnect(h.session, '/refuse');
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.connection, undefined);
    assert.equal(await bodyOf(refused), 'Forbidden');
  });
});

describe('RFC 8441: lifecycle', () => {
  test('drain: an endpoint that leaves closes the stream with 1001 after drain.timeout, then END_STREAM', async () => {
    const a = await startEchoServer({ name: 'a' });
    const b = await startEchoServer({ name: 'b' });
    const spec = (e: { port: number }) => ({ match: { path: '/d' }, drain: { timeout: '100ms' }, backend: { endpoints: at(e) } });
    const h = await harness([route('d', spec(a))]);
    try {
      const c = await openH2WebSocket(h.session, '/d');
      assert.equal((JSON.parse(String(await c.next())) as Hello).backend, 'a');
      const ended = new Promise<void>((resolve) => c.stream.once('end', resolve));
      h.setRoutes([route('d', spec(b))]);
      assert.deepEqual(await c.closed, { code: 1001, reason: 'endpoint draining' });
      await ended;
      const d = await openH2WebSocket(h.session, '/d');
      assert.equal((JSON.parse(String(await d.next())) as Hello).backend, 'b');
      d.ws.close(1000);
      await d.closed;
    } finally {
      await h.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('shutdown: every stream gets 1001 "proxy shutting down" and END_STREAM; new streams get 503', async () => {
    const echo = await startEchoServer({ name: 's' });
    const h = await harness([route('s', { match: { path: '/s' }, backend: { endpoints: at(echo) } })]);
    try {
      const cs = await Promise.all([openH2WebSocket(h.session, '/s'), openH2WebSocket(h.session, '/s')]);
      await Promise.all(cs.map((c) => c.next()));
      const ends = cs.map((c) => new Promise<void>((resolve) => c.stream.once('end', resolve)));
      const stopping = h.proxy.shutdown(0);
      for (const c of cs) assert.deepEqual(await c.closed, { code: 1001, reason: 'proxy shutting down' });
      await Promise.all(ends);
      const late = await extendedConnect(h.session, '/s');
      assert.equal(late.status, 503);
      await bodyOf(late);
      await stopping;
    } finally {
      await h.close();
      await echo.close();
    }
  });

  test('spec.messages and timeouts hold on a stream: a message over maxBytes closes with 1009, an idle stream with 1001', async () => {
    const echo = await startEchoServer({ name: 'm' });
    const h = await harness([
      route('small', { match: { path: '/small' }, backend: { endpoints: at(echo) }, messages: { maxBytes: 1024 } }),
      route('idle', { match: { path: '/idle' }, backend: { endpoints: at(echo) }, timeouts: { idle: '200ms' } }),
    ]);
    try {
      const c = await openH2WebSocket(h.session, '/small');
      await c.next();
      c.ws.send('x'.repeat(512));
      assert.equal(await c.next(), 'x'.repeat(512));
      c.ws.send('y'.repeat(4096));
      assert.deepEqual(await c.closed, { code: 1009, reason: 'message over messages.maxBytes' });
      const idle = await openH2WebSocket(h.session, '/idle');
      await idle.next();
      assert.deepEqual(await idle.closed, { code: 1001, reason: 'idle timeout' });
    } finally {
      await h.close();
      await echo.close();
    }
  });

  test('a backend killed (SIGKILL) after frames flowed: 1011; one that dies before sending a frame: 1014', async () => {
    const proc = await startEchoProcess('k');
    const silent = await startEchoServer({ name: 'quiet', silent: true });
    const h = await harness([
      route('k', { match: { path: '/k' }, backend: { endpoints: at(proc) } }),
      route('q', { match: { path: '/q' }, backend: { endpoints: at(silent) } }),
    ]);
    try {
      const c = await openH2WebSocket(h.session, '/k');
      assert.equal((JSON.parse(String(await c.next())) as Hello).backend, 'k');
      await proc.kill();
      assert.deepEqual(await c.closed, { code: 1011, reason: 'backend connection lost' });
      const q = await openH2WebSocket(h.session, '/q');
      await eventually('the backend has the connection', () => silent.clients.size === 1);
      for (const ws of silent.clients) ws.terminate();
      assert.deepEqual(await q.closed, { code: 1014, reason: 'backend went away before answering' });
    } finally {
      await h.close();
      await silent.close();
    }
  });
});

describe('RFC 8441: admission and limits as for HTTP/1.1', () => {
  const HMAC = 'hs256-test-secret-0123456789abcdef-XYZ';
  const stored: Record<string, Record<string, Buffer>> = { 'jwt-hmac': { secret: Buffer.from(HMAC) }, keys: { alpha: Buffer.from('key-alpha-123') } };
  const secrets: SecretResolver = (namespace, name) => {
    const data = stored[name];
    if (data) return { ok: true, data };
    return { ok: false, reason: 'SecretNotFound', message: `Secret ${namespace}/${name} not found` };
  };
  const token = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://id.test').setAudience('chat').setExpirationTime('5m').sign(new TextEncoder().encode(HMAC));
  let echo: EchoServer;
  let guard: SecurityGuard;
  let h: Harness;
  before(async () => {
    echo = await startEchoServer({ name: 'auth' });
    guard = new SecurityGuard({ log: pino({ level: 'silent' }) });
    const jwt = { secretRef: { name: 'jwt-hmac' }, issuer: 'https://id.test', audiences: ['chat'], algorithms: ['HS256' as const], tokenFrom: { query: 'access_token', subprotocolPrefix: 'bearer.' }, forwardClaims: { sub: 'X-User-Id' } };
    h = await harness(
      [
        route('jwt', { match: { path: '/jwt' }, backend: { endpoints: at(echo) }, security: { auth: { jwt } } }),
        route('keys', { match: { path: '/keys' }, backend: { endpoints: at(echo) }, security: { auth: { apiKeys: { secretRef: { name: 'keys' }, query: 'api_key' } } } }),
        route('origin', { match: { path: '/origin' }, backend: { endpoints: at(echo) }, security: { allowedOrigins: ['https://app.test'] } }),
        route('one', { match: { path: '/one' }, backend: { endpoints: at(echo) }, limits: { maxConnectionsPerClient: 1 } }),
        route('two', { match: { path: '/two' }, backend: { endpoints: at(echo) }, limits: { maxConnections: 2 } }),
      ],
      { admission: guard, resolveSecret: secrets },
    );
  });
  after(async () => {
    await h.close();
    guard.stop();
    await echo.close();
  });

  const hello = async (c: Awaited<ReturnType<typeof openH2WebSocket>>) => JSON.parse(String(await c.next())) as Hello;
  const closeAll = async (cs: Array<Awaited<ReturnType<typeof openH2WebSocket>>>) => {
    for (const c of cs) c.ws.close(1000);
    await Promise.all(cs.map((c) => c.closed));
  };

  test('a JWT in Authorization, in a bearer.* subprotocol and in the query: accepted, claims forwarded, the credential never reaches the backend', async () => {
    const byHeader = await openH2WebSocket(h.session, '/jwt', { authorization: `Bearer ${await token('u-header')}` });
    assert.equal((await hello(byHeader)).headers['x-user-id'], 'u-header');
    const bySub = await openH2WebSocket(h.session, '/jwt', { 'sec-websocket-protocol': `bearer.${await token('u-sub')}, chat` });
    assert.equal(bySub.headers['sec-websocket-protocol'], 'chat');
    const subHello = await hello(bySub);
    assert.equal(subHello.headers['x-user-id'], 'u-sub');
    assert.equal(subHello.headers['sec-websocket-protocol'], 'chat');
    const byQuery = await openH2WebSocket(h.session, `/jwt?access_token=${await token('u-query')}&room=1`);
    const queryHello = await hello(byQuery);
    assert.equal(queryHello.headers['x-user-id'], 'u-query');
    assert.equal(queryHello.path, '/jwt?room=1');
    assert.equal(queryHello.headers['x-forwarded-proto'], 'https');
    await closeAll([byHeader, bySub, byQuery]);
    const none = await extendedConnect(h.session, '/jwt');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="wsgate"');
    assert.match(await bodyOf(none), /bearer token is required/);
  });

  test('an API key by header and by query; a wrong one 401; Origin checked (403)', async () => {
    const byHeader = await openH2WebSocket(h.session, '/keys', { 'x-api-key': 'key-alpha-123' });
    assert.equal((await hello(byHeader)).backend, 'auth');
    const byQuery = await openH2WebSocket(h.session, '/keys?api_key=key-alpha-123');
    assert.equal((await hello(byQuery)).path, '/keys');
    await closeAll([byHeader, byQuery]);
    const wrong = await extendedConnect(h.session, '/keys', { 'x-api-key': 'nope' });
    assert.equal(wrong.status, 401);
    await bodyOf(wrong);
    const foreign = await extendedConnect(h.session, '/origin', { origin: 'https://evil.test' });
    assert.equal(foreign.status, 403);
    await bodyOf(foreign);
    const own = await openH2WebSocket(h.session, '/origin', { origin: 'https://app.test' });
    await closeAll([own]);
  });

  test('a stream counts as a connection: maxConnectionsPerClient (429) and maxConnections (503) until it closes', async () => {
    const first = await openH2WebSocket(h.session, '/one');
    const second = await extendedConnect(h.session, '/one');
    assert.equal(second.status, 429);
    await bodyOf(second);
    await closeAll([first]);
    (await acceptedOnceFree(h.session, '/one')).stream.destroy();
    const two = [await openH2WebSocket(h.session, '/two'), await openH2WebSocket(h.session, '/two')];
    const third = await extendedConnect(h.session, '/two');
    assert.equal(third.status, 503);
    assert.equal(third.headers['retry-after'], '1');
    await bodyOf(third);
    await closeAll(two);
  });
});

describe('RFC 8441: --max-connections', () => {
  test('a stream holds one of the process\'s connections: past the cap 503, the slot back when it closes', async () => {
    const echo = await startEchoServer({ name: 'cap' });
    const h = await harness([route('cap', { match: { path: '/cap' }, backend: { endpoints: at(echo) } })], {
      overload: { counters: new ProcessCounters(), maxConnections: 1, maxPlainBodyBytes: 0, retryAfterSeconds: 2 },
    });
    try {
      const first = await openH2WebSocket(h.session, '/cap');
      const refused = await extendedConnect(h.session, '/cap');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '2');
      await bodyOf(refused);
      first.ws.close(1000);
      await first.closed;
      (await acceptedOnceFree(h.session, '/cap')).stream.destroy();
    } finally {
      await h.close();
      await echo.close();
    }
  });
});

describe('RFC 8441: session affinity', () => {
  test('the cookie set over HTTP/1.1 is honoured over h2, and the one set over h2 over HTTP/1.1', async () => {
    const a = await startEchoServer({ name: 'a' });
    const b = await startEchoServer({ name: 'b' });
    const h = await harness([
      route('sticky', { match: { path: '/sticky' }, backend: { endpoints: at(a, b) }, loadBalancer: { policy: 'RoundRobin' }, sessionAffinity: { cookie: { name: 'aff' } } }),
    ]);
    const plain = await h.proxy.listen('127.0.0.1', 0);
    const h1 = async (cookie?: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${plain.port}/sticky`, cookie ? { headers: { cookie } } : {});
      const setCookie = new Promise<string | undefined>((resolve) => ws.once('upgrade', (res) => resolve(res.headers['set-cookie']?.[0])));
      const first = new Promise<Hello>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()) as Hello)));
      const backend = (await first).backend;
      const cookieSet = await setCookie;
      ws.close();
      await new Promise((resolve) => ws.once('close', resolve));
      return { backend, cookieSet };
    };
    const h2 = async (cookie?: string) => {
      const c = await openH2WebSocket(h.session, '/sticky', cookie ? { cookie } : {});
      const backend = (JSON.parse(String(await c.next())) as Hello).backend;
      c.ws.close(1000);
      await c.closed;
      const set = c.headers['set-cookie'];
      return { backend, cookieSet: Array.isArray(set) ? set[0] : set };
    };
    try {
      // Without a cookie, round robin alternates: both backends are in play.
      const fresh = [await h2(), await h2(), await h1(), await h1()];
      assert.deepEqual(new Set(fresh.map((f) => f.backend)), new Set(['a', 'b']));
      const overH1 = await h1();
      assert.match(overH1.cookieSet ?? '', /^aff=/);
      const cookie1 = overH1.cookieSet!.split(';')[0]!;
      for (let i = 0; i < 4; i++) assert.equal((await h2(cookie1)).backend, overH1.backend, `h2 with the HTTP/1.1 cookie, try ${i}`);
      const overH2 = await h2();
      assert.match(overH2.cookieSet ?? '', /^aff=/);
      const cookie2 = overH2.cookieSet!.split(';')[0]!;
      for (let i = 0; i < 4; i++) assert.equal((await h1(cookie2)).backend, overH2.backend, `HTTP/1.1 with the h2 cookie, try ${i}`);
    } finally {
      await h.close();
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('RFC 8441: observed as h2', () => {
  test('wsgate_upgrades_total counts streams with protocol="h2", and the connection\'s access-log line says h2', async () => {
    const echo = await startEchoServer({ name: 'obs' });
    const metrics = new Metrics({ defaultMetrics: false });
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({}, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const h = await harness([route('obs', { match: { path: '/obs' }, backend: { endpoints: at(echo) } })], { observer: metricsObserver(metrics, log, { endpointMetrics: false }) });
    try {
      const c = await openH2WebSocket(h.session, '/obs');
      await c.next();
      c.ws.close(1000);
      await c.closed;
      const refused = await extendedConnect(h.session, '/nowhere');
      await bodyOf(refused);
      const line = await eventually('the connection\'s access-log line', () => lines.find((l) => l.msg === 'connection closed'));
      assert.equal(line.protocol, 'h2');
      assert.equal(line.route, 'default/obs');
      assert.equal(line.closeCode, 1000);
      const text = await metrics.registry.metrics();
      assert.match(text, /^wsgate_upgrades_total\{namespace="default",route="obs",result="ok",protocol="h2"\} 1$/m);
      assert.match(text, /^wsgate_upgrades_total\{namespace="",route="",result="no_route",protocol="h2"\} 1$/m);
      assert.doesNotMatch(text, /protocol="http\/1\.1"/);
    } finally {
      await h.close();
      await echo.close();
    }
  });
});
