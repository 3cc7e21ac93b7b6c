// --h2c through a real `wsgate standalone` process: the plain listener takes HTTP/2 with prior
// knowledge beside HTTP/1.1 (plain requests and WebSocket upgrades), told apart by the preface,
// even when it arrives a byte at a time; a connection that never decides is dropped after the
// handshake timeout; without --h2c the preface is an HTTP/1.1 parse error.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classifyFirstBytes } from '../../src/proxy/h2c-detect.js';
import { closedGracefully, FLAG, FRAME, frame, PREFACE, RawH2, requestHeaders, settings } from '../helpers/h2-frames.js';
import { eventually } from '../helpers/eventually.js';
import { closeSession, h2cConnect, h2Request } from '../helpers/h2-client.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics-scrape.js';
import { plainRequest, startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

async function start(backend: HttpBackend, extra: string[]): Promise<WsgateChild> {
  const dir = tempDir();
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, routesYaml([{ name: 'app', spec: { match: { path: '/app/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], path: '/{rest}' }, http: { methods: ['GET', 'POST'] } } }]));
  return startWsgate(['standalone', '--config', file, ...extra]);
}

describe('the first bytes of a connection', () => {
  test('the whole preface is h2, a prefix of it undecided, any other byte http/1.1', () => {
    assert.equal(classifyFirstBytes(PREFACE), 'h2');
    assert.equal(classifyFirstBytes(Buffer.concat([PREFACE, settings()])), 'h2');
    assert.equal(classifyFirstBytes(PREFACE.subarray(0, 10)), 'undecided');
    assert.equal(classifyFirstBytes(Buffer.alloc(0)), 'undecided');
    assert.equal(classifyFirstBytes(Buffer.from('PRI * HTTP/1.1\r\n')), 'http/1.1');
    assert.equal(classifyFirstBytes(Buffer.from('GET / HTTP/1.1\r\n')), 'http/1.1');
  });
});

describe('--h2c', () => {
  let backend: HttpBackend;
  let gw: WsgateChild;
  before(async () => {
    backend = await startHttpBackend('h2c');
    gw = await start(backend, ['--h2c', '--handshake-timeout', '1s']);
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('HTTP/2 with prior knowledge on the plain listener: the same stages, forwarded as HTTP/1.1 (X-Forwarded-Proto http)', async () => {
    const session = await h2cConnect(gw.proxyPort);
    try {
      assert.equal(session.remoteSettings.enableConnectProtocol, true);
      const r = await h2Request(session, { ':method': 'GET', ':path': '/app/hello?h2c', ':authority': 'h2c.test' });
      assert.equal(r.status, 200);
      const hello = JSON.parse(r.body.toString()) as HelloBody;
      assert.equal(hello.url, '/hello?h2c');
      assert.equal(hello.headers.host, 'h2c.test');
      assert.equal(hello.headers['x-forwarded-proto'], 'http');
      const refused = await h2Request(session, { ':method': 'DELETE', ':path': '/app/hello', ':authority': 'h2c.test' });
      assert.equal(refused.status, 405);
    } finally {
      await closeSession(session);
    }
  });

  test('HTTP/1.1 on the same port: plain requests and WebSocket upgrades as before', async () => {
    const r = await plainRequest(gw.proxyPort, '/app/hello?h1');
    assert.equal(r.status, 200);
    const ws = await connect(`ws://127.0.0.1:${gw.proxyPort}/app/ws`);
    assert.equal(backend.upgrades.at(-1)?.url, '/ws');
    ws.close();
  });

  test('a preface sent a byte at a time is still HTTP/2', async () => {
    const c = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: gw.proxyPort }, () => resolve(s));
      s.once('error', reject);
    });
    const received: Buffer[] = [];
    c.on('data', (d: Buffer) => received.push(d));
    const bytes = Buffer.concat([PREFACE, settings(), requestHeaders(1, [[':method', 'GET'], [':scheme', 'http'], [':path', '/app/hello?slow'], [':authority', 'h2c.test']], true)]);
    for (let i = 0; i < PREFACE.length; i++) await new Promise<void>((resolve) => c.write(bytes.subarray(i, i + 1), () => resolve()));
    c.write(bytes.subarray(PREFACE.length));
    await backend.waitForRequest((r) => r.url === '/hello?slow');
    // The server's first frame is its SETTINGS.
    assert.equal(Buffer.concat(received)[3], FRAME.SETTINGS);
    c.destroy();
  });

  test('a connection whose first bytes never decide is dropped after the handshake timeout', async () => {
    const stalled = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: gw.proxyPort }, () => resolve(s));
      s.once('error', reject);
    });
    stalled.on('error', () => {});
    stalled.write(PREFACE.subarray(0, 10));
    await new Promise<void>((resolve) => stalled.once('close', () => resolve()));
  });

  describe('a session without streams is bounded as an HTTP/1.1 connection is', () => {
    const get = (id: number, query: string) => requestHeaders(id, [[':method', 'GET'], [':scheme', 'http'], [':path', `/app/hello?${query}`], [':authority', 'h2c.test']], true);
    const isResponse = (id: number) => (f: { type: number; streamId: number }) => f.type === FRAME.HEADERS && f.streamId === id;

    test('a session that opens no stream: GOAWAY (NO_ERROR) and closed after the handshake timeout (1 s)', async () => {
      const since = performance.now();
      const c = await RawH2.connect(gw.proxyPort);
      try {
        const elapsed = await closedGracefully(c, since);
        assert.ok(elapsed >= 900, `closed after ${Math.round(elapsed)} ms, before the handshake timeout`);
      } finally {
        c.destroy();
      }
    });

    test('PINGs are no stream: a session that only pings is closed after the handshake timeout too', async () => {
      const since = performance.now();
      const c = await RawH2.connect(gw.proxyPort);
      try {
        // Bounded: one PING per answered PING until the close (at most what fits the timeout).
        for (let i = 0; i < 1000 && !c.socket.destroyed; i++) {
          const sent = c.frames.length;
          if (!(await c.write(frame(FRAME.PING, 0, 0, Buffer.alloc(8))))) break;
          await c.next((f) => f.type === FRAME.PING && c.frames.indexOf(f) >= sent);
        }
        const elapsed = await closedGracefully(c, since);
        assert.ok(elapsed >= 900, `closed after ${Math.round(elapsed)} ms, before the handshake timeout`);
        assert.ok(c.frames.some((f) => f.type === FRAME.PING && f.flags & FLAG.ACK), 'the server answered the PINGs');
      } finally {
        c.destroy();
      }
    });

    test('wsgate_h2_sessions and wsgate_h2_streams{kind} count the open sessions and streams, back to 0 when they close', async () => {
      const gauges = async () => {
        const text = await scrapeMetrics(gw);
        return [seriesValue(text, 'wsgate_h2_sessions', ''), seriesValue(text, 'wsgate_h2_streams', 'kind="websocket"'), seriesValue(text, 'wsgate_h2_streams', 'kind="request"')].join(',');
      };
      // The sessions of the tests before are gone (closed by the client or the timeouts above).
      await eventually('no h2 session open', async () => (await gauges()) === '0,0,0');
      const c = await RawH2.connect(gw.proxyPort);
      try {
        await c.next((f) => f.type === FRAME.SETTINGS);
        await c.write(requestHeaders(1, [[':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'http'], [':path', '/app/ws'], [':authority', 'h2c.test'], ['sec-websocket-version', '13']], false));
        await c.next(isResponse(1));
        // A request the backend never answers: its stream stays open.
        await c.write(requestHeaders(3, [[':method', 'GET'], [':scheme', 'http'], [':path', '/app/silent'], [':authority', 'h2c.test']], true));
        await backend.waitForRequest((r) => r.url === '/silent');
        assert.equal(await gauges(), '1,1,1');
      } finally {
        c.destroy();
      }
      let last = '';
      await eventually('the session and its streams closed', async () => (last = await gauges()) === '0,0,0', 100).catch((e: Error) => assert.fail(`${e.message} (${last})`));
    });

    test('after its last stream a session is closed after the idle timeout; one carrying a WebSocket stream is not', async () => {
      // `ws`: a request done, then an RFC 8441 WebSocket kept open; `idle`: a request done after it.
      const ws = await RawH2.connect(gw.proxyPort);
      const idle = await RawH2.connect(gw.proxyPort);
      try {
        await ws.next((f) => f.type === FRAME.SETTINGS);
        await ws.write(get(1, 'before-ws'));
        await ws.next(isResponse(1));
        await ws.write(requestHeaders(3, [[':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'http'], [':path', '/app/ws'], [':authority', 'h2c.test'], ['sec-websocket-version', '13']], false));
        const opened = await ws.next(isResponse(3));
        assert.ok(opened, 'the WebSocket stream was answered');
        // The backend's greeting: the WebSocket relays.
        assert.ok(await ws.next((f) => f.type === FRAME.DATA && f.streamId === 3));
        await idle.write(get(1, 'idle'));
        await idle.next(isResponse(1));
        const since = performance.now();
        await closedGracefully(idle, since);
        // `ws` went idle first, then its WebSocket made it busy: still open, no GOAWAY.
        assert.equal(ws.socket.destroyed, false);
        assert.equal(ws.frames.some((f) => f.type === FRAME.GOAWAY), false);
      } finally {
        ws.destroy();
        idle.destroy();
      }
    });
  });
});

describe('without --h2c', () => {
  let backend: HttpBackend;
  let gw: WsgateChild;
  before(async () => {
    backend = await startHttpBackend('h1');
    gw = await start(backend, []);
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('the HTTP/2 preface on the plain listener is refused by the HTTP/1.1 parser; nothing reaches the backend', async () => {
    await assert.rejects(async () => {
      const session = await h2cConnect(gw.proxyPort);
      try {
        await h2Request(session, { ':method': 'GET', ':path': '/app/hello?no-h2c' });
      } finally {
        session.destroy();
      }
    });
    assert.equal(backend.requests.filter((r) => r.url.includes('no-h2c')).length, 0);
  });
});
