// WebSockets over HTTP/2 (RFC 8441) end to end in process: Node's http2 client opens extended
// CONNECT streams on a TLS HTTP/2 edge whose streams go to the proxy's onWebSocketStream, and
// real `ws` backends answer over HTTP/1.1. Messages of every kind, the stages (routing,
// admission, limits, affinity), the lifecycle (drain, shutdown, a backend that dies) and
// refusals as HTTP/2 answers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';
import path from 'node:path';
import { SignJWT } from 'jose';
import pino from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { closeWebSocketServer, startEchoServer, type EchoServer, type Hello } from '../../examples/echo-server.js';
import { SecurityGuard } from '../../src/admission/guard.js';
import type { WebSocketRoute } from '../../src/api/types.js';
import { compile } from '../../src/routing/compile.js';
import { MAIN_LISTENER } from '../../src/routing/gateway-types.js';
import type { SecretResolver } from '../../src/routing/types.js';
import { WebSocketProxy, type ProxyServerOptions } from '../../src/proxy/server.js';
import { route } from '../fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { bodyOf, connectH2, extendedConnect, openH2WebSocket, startH2Edge, type H2Edge } from '../helpers/h2-websocket.js';
import { repoRoot } from '../helpers/wsgate-process.js';

interface Harness {
  proxy: WebSocketProxy;
  edge: H2Edge;
  session: http2.ClientHttp2Session;
  setRoutes(routes: WebSocketRoute[]): void;
  close(): Promise<void>;
}

async function harness(routes: WebSocketRoute[], opts: Partial<ProxyServerOptions> & { resolveSecret?: SecretResolver } = {}): Promise<Harness> {
  const { resolveSecret, ...proxyOpts } = opts;
  const proxy = new WebSocketProxy({ logger: pino({ level: 'silent' }), ...proxyOpts });
  const setRoutes = (rs: WebSocketRoute[]) => proxy.setTable(compile({ routes: rs, ...(resolveSecret ? { resolveSecret } : {}) }).table);
  setRoutes(routes);
  const edge = await startH2Edge((stream, headers) => proxy.onWebSocketStream(stream, headers, MAIN_LISTENER));
  const session = await connectH2(edge.port, edge.ca);
  return {
    proxy,
    edge,
    session,
    setRoutes,
    async close() {
      session.destroy();
      await proxy.close();
      await edge.close();
    },
  };
}

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
