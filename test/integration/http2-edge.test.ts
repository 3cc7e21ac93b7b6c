// The HTTP/2 edge under attack, through a real `wsgate standalone` process with a TLS listener:
// frames written by hand (test/helpers/h2-frames.ts), each flood a bounded loop. Every flood
// ends with the client's connection closed by wsgate (GOAWAY with an error code), wsgate's
// resident memory grown by less than FLOOD_RSS_BOUND, and another client still served. The
// h2-to-h1 downgrade rules as a differential test: what a client sent against what the backend
// parsed, one request in, at most one out; a malformed head: refused, nothing forwarded.
// Shutdown: GOAWAY (NO_ERROR), the request in flight still answered.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCa, writeSecret, type TestCa } from '../helpers/certs.js';
import { closeSession, h2Connect, h2Request } from '../helpers/h2-client.js';
import { FLAG, FRAME, frame, goAwayCode, headerBlock, RawH2, requestHeaders, rstCode, rstStream, settings, type ReceivedFrame } from '../helpers/h2-frames.js';
import { startHttpBackend, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const HOST = 'edge.test';
/** What one flood may add to wsgate's resident memory. */
const FLOOD_RSS_BOUND = 64 * 1024 * 1024;
const { NGHTTP2_PROTOCOL_ERROR, NGHTTP2_INTERNAL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR } = http2.constants;
/** The codes a connection closed for misbehaving gets (nghttp2's and Node's choices). */
const ABUSE_CODES = [NGHTTP2_PROTOCOL_ERROR, NGHTTP2_INTERNAL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM];

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/**
 * The :status of a response HEADERS frame (its first field): an indexed static-table entry, or
 * a literal with the static name :status (index 8) and a plain (not Huffman-coded) value.
 */
const STATIC_STATUS: Record<number, number> = { 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 };
function statusOf(f: ReceivedFrame): number | undefined {
  const b0 = f.payload[0]!;
  if (STATIC_STATUS[b0] !== undefined) return STATIC_STATUS[b0];
  const literalStatus = b0 === 0x48 || b0 === 0x08 || b0 === 0x18;
  const len = f.payload[1]!;
  if (!literalStatus || len & 0x80) return undefined;
  return Number(f.payload.toString('latin1', 2, 2 + len));
}

describe('the HTTP/2 edge', () => {
  let ca: TestCa;
  let backend: HttpBackend;
  let gw: WsgateChild;
  const raw = () => RawH2.connect(gw.tlsPort!, { ca: ca.cert, servername: HOST });
  const fields = (p: string, extra: Array<[string, string]> = [], method = 'GET'): Array<[string, string]> => [
    [':method', method],
    [':scheme', 'https'],
    [':path', p],
    [':authority', HOST],
    ...extra,
  ];

  /** Another client, on a connection of its own, is served. */
  async function stillServed(): Promise<void> {
    const session = await h2Connect(gw.tlsPort!, ca.cert, HOST);
    try {
      const r = await h2Request(session, { ':method': 'GET', ':path': '/app/hello', ':authority': HOST });
      assert.equal(r.status, 200);
    } finally {
      await closeSession(session);
    }
  }

  /** Runs a flood on a fresh connection and checks its end: closed by GOAWAY with an abuse code, memory bounded, others served. */
  async function flood(send: (c: RawH2) => Promise<void>): Promise<RawH2> {
    const c = await raw();
    await c.next((f) => f.type === FRAME.SETTINGS);
    const before = rssOf(gw.child.pid!);
    const logged = gw.waitForLog(/HTTP\/2 connection closed for a protocol error/, 20_000);
    await send(c);
    // A client that stopped reading sees the close only once it reads again.
    c.socket.resume();
    await c.closed;
    await logged;
    // The GOAWAY can be lost: wsgate closes at once, and unread bytes make the kernel reset the connection.
    const goAway = c.frames.find((f) => f.type === FRAME.GOAWAY);
    if (goAway) assert.ok(ABUSE_CODES.includes(goAwayCode(goAway)), `GOAWAY code ${goAwayCode(goAway)}`);
    const grown = rssOf(gw.child.pid!) - before;
    assert.ok(grown < FLOOD_RSS_BOUND, `wsgate grew by ${Math.round(grown / 1048576)} MiB`);
    await stillServed();
    return c;
  }

  before(async () => {
    ca = makeCa();
    const leaf = ca.issue(HOST, [HOST]);
    backend = await startHttpBackend('edge');
    const dir = tempDir();
    const secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'edge-tls', { 'tls.crt': leaf.cert, 'tls.key': leaf.key });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'app',
          spec: { hosts: [HOST], tls: { secretRef: { name: 'edge-tls' } }, match: { path: '/app/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], path: '/{rest}' }, http: { methods: ['GET', 'POST'] } },
        },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir, '--tls-listen', '127.0.0.1:0']);
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  describe('floods: the connection is closed, wsgate stays bounded, other clients are served', () => {
    test('rapid reset (CVE-2023-44487): 20,000 HEADERS + RST_STREAM pairs; few reach a backend', async () => {
      const seen = backend.requests.length;
      await flood(async (c) => {
        for (let i = 0, id = 1; i < 20_000; i++, id += 2) {
          if (!(await c.write(Buffer.concat([requestHeaders(id, fields(`/app/hold?ms=10000&rapid=${i}`), true), rstStream(id, http2.constants.NGHTTP2_CANCEL)])))) break;
        }
      });
      const reached = backend.requests.length - seen;
      assert.ok(reached <= 200, `${reached} rapid-reset requests reached the backend`);
    });

    test('CONTINUATION flood (CVE-2024-27316): one header block without end, 64 MiB of CONTINUATION', async () => {
      const chunk = headerBlock([['x-flood', 'c'.repeat(16_000)]]);
      await flood(async (c) => {
        await c.write(frame(FRAME.HEADERS, 0, 1, headerBlock(fields('/app/hello'))));
        for (let i = 0; i < 4096; i++) if (!(await c.write(frame(FRAME.CONTINUATION, 0, 1, chunk)))) break;
      });
    });

    test('SETTINGS flood from a client that does not read the ACKs: 400,000 frames', async () => {
      const batch = Buffer.concat(Array.from({ length: 10_000 }, () => settings([[3, 100]])));
      await flood(async (c) => {
        c.stopReading();
        for (let i = 0; i < 40; i++) if (!(await c.write(batch))) break;
      });
    });

    test('PING flood from a client that does not read the ACKs: 400,000 frames', async () => {
      const batch = Buffer.concat(Array.from({ length: 10_000 }, () => frame(FRAME.PING, 0, 0, Buffer.alloc(8))));
      await flood(async (c) => {
        c.stopReading();
        for (let i = 0; i < 40; i++) if (!(await c.write(batch))) break;
      });
    });

    test('a SETTINGS frame with more than 32 entries', async () => {
      await flood(async (c) => {
        await c.write(settings(Array.from({ length: 40 }, (_, i) => [3, 100 + i] as const)));
      });
    });

    test('empty DATA frames (CVE-2019-9518): 20,000 on one stream', async () => {
      await flood(async (c) => {
        await c.write(requestHeaders(1, fields('/app/upload?empty', [], 'POST'), false));
        const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame(FRAME.DATA, 0, 1)));
        for (let i = 0; i < 20; i++) if (!(await c.write(batch))) break;
      });
    });

    test('more concurrent streams than the 100 advertised: 1,000 held open', async () => {
      const seen = backend.requests.length;
      await flood(async (c) => {
        for (let i = 0, id = 1; i < 1000; i++, id += 2) if (!(await c.write(requestHeaders(id, fields(`/app/hold?ms=10000&concurrent=${i}`), true)))) break;
      });
      assert.ok(backend.requests.length - seen <= 100);
    });
  });

  describe('header limits: the stream is refused, nothing forwarded, the connection goes on', () => {
    // Node answers an over-long list 431 (as wsgate does over HTTP/1.1); too many fields: RST_STREAM ENHANCE_YOUR_CALM.
    for (const [what, extra, refusal] of [
      ['a header list over --max-header-size (16 KiB): 431', [['x-big', 'b'.repeat(12_000)], ['x-big2', 'b'.repeat(8000)]], [FRAME.HEADERS, 431]],
      ['more than 128 header fields: RST_STREAM', Array.from({ length: 200 }, (_, i) => [`x-f${i}`, 'v']), [FRAME.RST_STREAM, NGHTTP2_ENHANCE_YOUR_CALM]],
    ] as Array<[string, Array<[string, string]>, [number, number]]>) {
      test(what, async () => {
        const c = await raw();
        try {
          const marker = `/app/hello?limit=${encodeURIComponent(what)}`;
          const block = headerBlock(fields(marker, extra));
          // Split at the frame size: HEADERS then CONTINUATION.
          await c.write(Buffer.concat([frame(FRAME.HEADERS, FLAG.END_STREAM, 1, block.subarray(0, 16_000)), frame(FRAME.CONTINUATION, FLAG.END_HEADERS, 1, block.subarray(16_000))]));
          const end = await c.next((f) => (f.type === FRAME.RST_STREAM || f.type === FRAME.HEADERS) && f.streamId === 1);
          assert.ok(end, 'the connection closed');
          assert.deepEqual([end.type, end.type === FRAME.RST_STREAM ? rstCode(end) : statusOf(end)], refusal);
          await c.write(requestHeaders(3, fields('/app/hello?after-limit'), true));
          const next = await c.next((f) => f.type === FRAME.HEADERS && f.streamId === 3);
          assert.equal(next && statusOf(next), 200);
          assert.equal(backend.requests.filter((r) => r.url.includes('limit=')).length, 0);
        } finally {
          c.destroy();
        }
      });
    }
  });

  describe('h2 to h1 downgrade: one request in, at most one out', () => {
    /**
     * Sends a request by hand on a fresh connection; resolves with how its stream ended, or
     * `closed` when wsgate closed the connection before a frame about it could be read (a
     * GOAWAY is lost when the close resets the connection with unread bytes).
     */
    async function send(head: Array<[string, string]>, body?: Buffer): Promise<{ status?: number; rst?: number; goAway?: number; closed?: true }> {
      const c = await raw();
      try {
        await c.write(requestHeaders(1, head, body === undefined));
        if (body !== undefined) await c.write(frame(FRAME.DATA, FLAG.END_STREAM, 1, body));
        const end = await c.next((f) => (f.streamId === 1 && (f.type === FRAME.HEADERS || f.type === FRAME.RST_STREAM)) || f.type === FRAME.GOAWAY);
        if (!end) return { closed: true };
        if (end.type === FRAME.HEADERS) return { status: statusOf(end) };
        if (end.type === FRAME.RST_STREAM) return { rst: rstCode(end) };
        return { goAway: goAwayCode(end) };
      } finally {
        c.destroy();
      }
    }

    const refused: Array<[string, (p: string) => Array<[string, string]>, Buffer?]> = [
      ['transfer-encoding', (p) => fields(p, [['transfer-encoding', 'chunked']], 'POST'), Buffer.from('5\r\nhello\r\n0\r\n\r\n')],
      ['connection', (p) => fields(p, [['connection', 'keep-alive']])],
      ['keep-alive', (p) => fields(p, [['keep-alive', 'timeout=5']])],
      ['upgrade', (p) => fields(p, [['upgrade', 'websocket']])],
      ['te other than trailers', (p) => fields(p, [['te', 'gzip']])],
      ['an uppercase name', (p) => fields(p, [['X-Upper', '1']])],
      ['a second :method', (p) => [...fields(p), [':method', 'POST']]],
      [':protocol on a GET', (p) => fields(p, [[':protocol', 'websocket']])],
      ['a pseudo-header after a regular one', (p) => [[':method', 'GET'], ['x-a', '1'], [':scheme', 'https'], [':path', p], [':authority', HOST]]],
      ['no :path', () => [[':method', 'GET'], [':scheme', 'https'], [':authority', HOST]]],
      ['a Host other than :authority', (p) => fields(p, [['host', 'other.test']])],
      ['content-length 5 with 10 bytes of DATA', (p) => fields(p, [['content-length', '5']], 'POST'), Buffer.from('helloworld')],
      ['content-length 20 with 10 bytes of DATA', (p) => fields(p, [['content-length', '20']], 'POST'), Buffer.from('helloworld')],
    ];
    refused.forEach(([what, head, body], i) => {
      test(`${what}: refused (stream or connection error, or 400); the backend gets no request`, async () => {
        const marker = `/app/upload?downgrade=${i}`;
        const end = await send(head(marker), body);
        const refusedHow = end.rst !== undefined || end.goAway !== undefined || end.closed === true || end.status === 400;
        assert.ok(refusedHow, `answered ${JSON.stringify(end)}`);
        // A control request after it, on its own connection: once it is through, anything the
        // refused one started would have reached the backend before it.
        const control = await send(fields(`/app/hello?after=${i}`));
        assert.equal(control.status, 200);
        await backend.waitForRequest((r) => r.url === `/hello?after=${i}`);
        const reached = backend.requests.filter((r) => r.url === `/upload?downgrade=${i}` && r.finished);
        assert.deepEqual(reached, [], `a complete request reached the backend: ${JSON.stringify(reached.map((r) => r.headers))}`);
      });
    });

    // nghttp2 drops a field whose value holds CR, LF or NUL (Node sets no callback that would
    // make it a stream error, and never shows wsgate the field): the request goes on without it.
    for (const [what, value] of [
      ['CR LF in a value (a smuggled header)', 'a\r\nX-Injected: 1'],
      ['NUL in a value', 'a\0b'],
    ] as const) {
      test(`${what}: the field never reaches the backend, nor anything it would smuggle`, async () => {
        const marker = `/app/hello?dropped=${encodeURIComponent(what)}`;
        const end = await send(fields(marker, [['x-a', value], ['x-kept', 'k']]));
        assert.equal(end.status, 200);
        const got = backend.requests.filter((r) => r.url === marker.slice('/app'.length));
        assert.equal(got.length, 1);
        assert.equal(got[0]!.headers['x-a'], undefined);
        assert.equal(got[0]!.headers['x-injected'], undefined);
        assert.equal(got[0]!.headers['x-kept'], 'k');
      });
    }

    test('a valid request: exactly one reaches the backend, with the fields and body the client sent and wsgate\'s framing', async () => {
      const body = Buffer.from('{"differential":true}');
      const sent: Array<[string, string]> = [
        ['content-length', String(body.length)],
        ['content-type', 'application/json'],
        ['x-a', '1'],
        ['x-b', 'two words'],
        ['cookie', 'a=1'],
        ['cookie', 'b=2'],
        ['te', 'trailers'],
      ];
      const end = await send(fields('/app/upload?differential', sent, 'POST'), body);
      assert.equal(end.status, 200);
      const got = backend.requests.filter((r) => r.url === '/upload?differential');
      assert.equal(got.length, 1);
      const h = got[0]!.headers;
      assert.equal(h.host, HOST);
      assert.equal(h['content-length'], String(body.length));
      assert.equal(h['transfer-encoding'], undefined);
      assert.equal(h['content-type'], 'application/json');
      assert.equal(h['x-a'], '1');
      assert.equal(h['x-b'], 'two words');
      assert.equal(h.cookie, 'a=1; b=2');
      assert.ok(!Object.keys(h).some((k) => k.startsWith(':')));
      await got[0]!.outcome;
      assert.equal(got[0]!.finished, true);
    });

    test('the body the backend reads is the body the client sent (size and digest, read back by the backend)', async () => {
      const session = await h2Connect(gw.tlsPort!, ca.cert, HOST);
      try {
        const body = Buffer.from('0123456789'.repeat(1000));
        const r = await h2Request(session, { ':method': 'POST', ':path': '/app/upload?differential-body', ':authority': HOST }, body);
        assert.deepEqual(JSON.parse(r.body.toString()), { backend: 'edge', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
        assert.equal(backend.requests.filter((x) => x.url === '/upload?differential-body').length, 1);
      } finally {
        await closeSession(session);
      }
    });
  });
});

describe('shutdown over HTTP/2', () => {
  test('SIGTERM: GOAWAY with NO_ERROR on the open session, the request in flight still answered', async () => {
    const ca = makeCa();
    const leaf = ca.issue(HOST, [HOST]);
    const backend = await startHttpBackend('shutdown');
    const dir = tempDir();
    const secretsDir = path.join(dir, 'secrets');
    writeSecret(secretsDir, 'default', 'edge-tls', { 'tls.crt': leaf.cert, 'tls.key': leaf.key });
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([{ name: 'app', spec: { hosts: [HOST], tls: { secretRef: { name: 'edge-tls' } }, match: { path: '/app/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], path: '/{rest}' }, http: { methods: ['GET'] } } }]),
    );
    const gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir, '--tls-listen', '127.0.0.1:0', '--shutdown-grace', '1000']);
    const session = await h2Connect(gw.tlsPort!, ca.cert, HOST);
    try {
      const goAway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
      const inFlight = h2Request(session, { ':method': 'GET', ':path': '/app/hold?ms=1500', ':authority': HOST });
      await backend.waitForRequest((r) => r.url === '/hold?ms=1500');
      const exited = gw.stop();
      assert.equal(await goAway, NGHTTP2_NO_ERROR);
      const r = await inFlight;
      assert.equal(r.status, 200);
      assert.equal(r.complete, true);
      assert.equal(await exited, 0);
    } finally {
      session.destroy();
      await gw.stop();
      await backend.close();
    }
  });
});
