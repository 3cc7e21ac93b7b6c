// What an HTTP/2 client sees on the wire when a backend dies mid-body: the DATA that came,
// none of it with END_STREAM, then RST_STREAM INTERNAL_ERROR (h2-reset.ts). Read frame by
// frame by a raw client (test/helpers/h2-frames.ts) on wsgate's own TLS listener, so that no
// client library's view of the stream hides an END_STREAM sent before the reset: Node's own
// stream.close(INTERNAL_ERROR) sent END_STREAM on a chunked body and no RST_STREAM at all.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import { resetStream } from '../../src/proxy/h2-reset.js';
import { abortResponse } from '../../src/proxy/h2-response.js';
import { expectedAccept } from '../../src/proxy/websocket-accept.js';
import { route } from '../fixtures.js';
import { FLAG, FRAME, RawH2, requestHeaders, rstCode, type ReceivedFrame } from '../helpers/h2-frames.js';
import { startH2Proxy, type H2Proxy } from '../helpers/h2-proxy.js';
import { startHeadBackend, type HeadBackend } from '../helpers/head-backend.js';

/** A backend connection that has answered (part of) a request and waits for the test to cut it. */
interface Held {
  socket: net.Socket;
  head: string;
}

/**
 * An HTTP/1.1 backend that answers each request head with what `answer` makes of it (a
 * response head and the start of a body, never the rest), then holds the connection.
 */
async function startCuttingBackend(answer: (head: string) => string | Buffer): Promise<HeadBackend & { next(): Promise<Held> }> {
  const held: Held[] = [];
  const waiting: Array<(h: Held) => void> = [];
  const backend = await startHeadBackend((head, socket) => {
    socket.write(answer(head));
    const h = { socket, head };
    const w = waiting.shift();
    if (w) w(h);
    else held.push(h);
  });
  return { ...backend, next: () => (held.length > 0 ? Promise.resolve(held.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

/** A WebSocket frame header announcing 256 bytes of binary payload (of which the backend sends 10). */
const FRAME_START = Buffer.concat([Buffer.from([0x82, 0x7e, 0x01, 0x00]), Buffer.alloc(10, 0x61)]);

function answerFor(head: string): string | Buffer {
  const path = head.split(' ')[1];
  const key = /\r\nsec-websocket-key:[ \t]*([^\r\n]+)/i.exec(head)?.[1]?.trim();
  switch (path) {
    case '/chunked':
      return 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n';
    case '/stall':
      return 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n';
    case '/length':
      return 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n' + 'x'.repeat(100);
    case '/ws':
      return Buffer.concat([
        Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${expectedAccept(key!)}\r\n\r\n`, 'latin1'),
        FRAME_START,
      ]);
    case '/ws-refused':
      return 'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n' + 'no'.repeat(5);
    default:
      return 'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n';
  }
}

const AUTHORITY = 'cut.test';

function getRequest(id: number, path: string): Buffer {
  return requestHeaders(id, [[':method', 'GET'], [':scheme', 'https'], [':authority', AUTHORITY], [':path', path]], true);
}

function extendedConnect(id: number, path: string): Buffer {
  return requestHeaders(id, [[':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'https'], [':authority', AUTHORITY], [':path', path], ['sec-websocket-version', '13']], false);
}

const onStream = (id: number) => (f: ReceivedFrame) => f.streamId === id;
const ends = (f: ReceivedFrame) => f.type === FRAME.RST_STREAM || ((f.type === FRAME.DATA || f.type === FRAME.HEADERS) && (f.flags & FLAG.END_STREAM) !== 0);

/**
 * Cuts the backend once the client has the start of the body, then reads the stream to its
 * end: returns its frames; asserts the body so far came as DATA without END_STREAM and the
 * stream ended with RST_STREAM INTERNAL_ERROR.
 */
async function cutAndRead(c: RawH2, id: number, held: Held): Promise<ReceivedFrame[]> {
  await c.next((f) => f.streamId === id && f.type === FRAME.DATA && f.payload.length > 0);
  held.socket.destroy();
  const last = await c.next((f) => f.streamId === id && ends(f));
  assert.ok(last, 'the stream ended before the connection closed');
  const frames = c.frames.filter(onStream(id));
  const data = frames.filter((f) => f.type === FRAME.DATA);
  assert.ok(
    data.every((f) => (f.flags & FLAG.END_STREAM) === 0),
    'no DATA frame carries END_STREAM',
  );
  assert.equal(last.type, FRAME.RST_STREAM, `the stream ended with a reset, not END_STREAM (frame type ${last.type}, flags ${last.flags})`);
  assert.equal(rstCode(last), http2.constants.NGHTTP2_INTERNAL_ERROR);
  return frames;
}

const bodyOf = (frames: ReceivedFrame[]) => Buffer.concat(frames.filter((f) => f.type === FRAME.DATA).map((f) => f.payload));

describe('HTTP/2 aborts on the wire: a backend dying mid-body resets the stream, never ends it', () => {
  let backend: Awaited<ReturnType<typeof startCuttingBackend>>;
  let h: H2Proxy;
  let c: RawH2;

  before(async () => {
    backend = await startCuttingBackend(answerFor);
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    h = await startH2Proxy([
      route('cut', { match: { path: '/cut/{rest}' }, backend: { endpoints, path: '/{rest}' }, http: { methods: ['GET'] } }),
      // A response that stops moving for timeouts.idle is cut by wsgate itself (abortResponse).
      route('idle', { match: { path: '/idle/{rest}' }, backend: { endpoints, path: '/{rest}' }, http: { methods: ['GET'] }, timeouts: { idle: '300ms' } }),
    ]);
  });
  after(async () => {
    await h.close();
    await backend.close();
  });
  test.beforeEach(async () => {
    c = await RawH2.connect(h.edge.port, { ca: h.edge.ca, servername: 'localhost' });
  });
  test.afterEach(() => c.destroy());

  test('a plain request whose chunked body is cut: the chunk as DATA, then RST_STREAM INTERNAL_ERROR', async () => {
    await c.write(getRequest(1, '/cut/chunked'));
    const frames = await cutAndRead(c, 1, await backend.next());
    assert.equal(bodyOf(frames).toString(), 'hello');
  });

  test('a plain request whose Content-Length body is cut: the bytes that came, then RST_STREAM INTERNAL_ERROR', async () => {
    await c.write(getRequest(1, '/cut/length'));
    const frames = await cutAndRead(c, 1, await backend.next());
    assert.equal(bodyOf(frames).toString(), 'x'.repeat(100));
  });

  test('a response that stalls mid-body past timeouts.idle: wsgate cuts it with RST_STREAM INTERNAL_ERROR, not END_STREAM', async () => {
    await c.write(getRequest(1, '/idle/stall'));
    await backend.next();
    const last = await c.next((f) => f.streamId === 1 && ends(f));
    assert.ok(last);
    const frames = c.frames.filter(onStream(1));
    assert.equal(bodyOf(frames).toString(), 'hello');
    assert.ok(frames.filter((f) => f.type === FRAME.DATA).every((f) => (f.flags & FLAG.END_STREAM) === 0), 'no DATA frame carries END_STREAM');
    assert.equal(last.type, FRAME.RST_STREAM);
    assert.equal(rstCode(last), http2.constants.NGHTTP2_INTERNAL_ERROR);
  });

  test('an RFC 8441 WebSocket whose backend dies in the middle of a frame: the frame so far, then RST_STREAM INTERNAL_ERROR (no close frame can go there)', async () => {
    await c.write(extendedConnect(1, '/cut/ws'));
    const held = await backend.next();
    assert.match(held.head, /^GET \/ws HTTP\/1\.1\r\n/);
    const frames = await cutAndRead(c, 1, held);
    assert.deepEqual(bodyOf(frames), FRAME_START);
  });

  test('an RFC 8441 refusal whose body the backend cuts short: its bytes, then RST_STREAM INTERNAL_ERROR', async () => {
    await c.write(extendedConnect(1, '/cut/ws-refused'));
    const frames = await cutAndRead(c, 1, await backend.next());
    assert.equal(bodyOf(frames).toString(), 'no'.repeat(5));
  });
});

describe('resetStream and abortResponse on their own: a body under way is reset, never ended first', () => {
  let server: http2.Http2Server;
  let port: number;
  /** What the server does with each stream once it wrote part of a body. */
  let abort: (stream: http2.ServerHttp2Stream) => void;

  before(async () => {
    server = http2.createServer();
    server.on('stream', (stream) => {
      stream.on('error', () => {});
      stream.respond({ ':status': 200 });
      // The part is handed to nghttp2 before the abort, as a relayed body's chunk is.
      stream.write('partial', () => abort(stream));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function abortedFrames(how: (stream: http2.ServerHttp2Stream) => void): Promise<{ frames: ReceivedFrame[]; last: ReceivedFrame }> {
    abort = how;
    const c = await RawH2.connect(port);
    try {
      await c.write(requestHeaders(1, [[':method', 'GET'], [':scheme', 'http'], [':authority', 'x.test'], [':path', '/']], true));
      const last = await c.next((f) => f.streamId === 1 && ends(f));
      assert.ok(last, 'the stream ended before the connection closed');
      return { frames: c.frames.filter(onStream(1)), last };
    } finally {
      c.destroy();
    }
  }

  test('resetStream: DATA without END_STREAM, then RST_STREAM INTERNAL_ERROR', async () => {
    const { frames, last } = await abortedFrames((stream) => resetStream(stream));
    assert.equal(bodyOf(frames).toString(), 'partial');
    assert.equal(last.type, FRAME.RST_STREAM, `frame type ${last.type} flags ${last.flags}: END_STREAM came before any reset`);
    assert.equal(rstCode(last), http2.constants.NGHTTP2_INTERNAL_ERROR);
  });

  test('abortResponse on an HTTP/2 compatibility response mid-body: RST_STREAM INTERNAL_ERROR, not END_STREAM', async () => {
    const { frames, last } = await abortedFrames((stream) => abortResponse(new http2.Http2ServerResponse(stream) as unknown as http.ServerResponse));
    assert.equal(bodyOf(frames).toString(), 'partial');
    assert.equal(last.type, FRAME.RST_STREAM, `frame type ${last.type} flags ${last.flags}: END_STREAM came before any reset`);
    assert.equal(rstCode(last), http2.constants.NGHTTP2_INTERNAL_ERROR);
  });

  test('resetStream on a client stream whose request body is under way (an h2c backend): the server gets the part and RST_STREAM INTERNAL_ERROR, never the body\'s end; the error given reaches the stream\'s listener', async () => {
    const seen = new Promise<{ ended: boolean; rstCode: number | undefined; body: string }>((resolve) => {
      const h2c = http2.createServer();
      h2c.on('stream', (stream) => {
        let body = '';
        let ended = false;
        stream.on('data', (d: Buffer) => (body += d.toString()));
        // Node's server emits 'end' for END_STREAM; a stream reset without one closes without it.
        stream.on('end', () => (ended = true));
        stream.on('error', () => {});
        stream.on('close', () => {
          resolve({ ended, rstCode: stream.rstCode, body });
          h2c.close();
        });
      });
      h2c.listen(0, '127.0.0.1', () => {
        const session = http2.connect(`http://127.0.0.1:${(h2c.address() as net.AddressInfo).port}`);
        session.on('error', () => {});
        const req = session.request({ ':method': 'POST', ':path': '/' }, { endStream: false });
        const given = new Error('the client left');
        req.on('error', (err: Error) => {
          assert.equal(err, given);
          session.close();
        });
        req.write('half a body', () => resetStream(req, given));
      });
    });
    const s = await seen;
    assert.equal(s.body, 'half a body');
    assert.equal(s.ended, false, 'the server read an END_STREAM: a truncated body would look complete');
    assert.equal(s.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
  });
});
