// spec.messages and spec.keepalive with real `ws` clients and backends through a wsgate
// process: size limits one byte under and over (both directions), message and byte rates in
// both modes, pings a client answers (pongs never reach the backend) or does not (closed after
// pongTimeout, the backend told 1001), permessage-deflate, and metrics that move while a
// connection stays open.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { eventually } from '../helpers/eventually.js';
import { frame } from '../helpers/ws-frames.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics-scrape.js';
import { startMessageBackend, type MessageBackend } from '../helpers/message-backend.js';
import { writeRoutes } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

interface Client {
  ws: WebSocket;
  /** The next message the client receives. */
  next(): Promise<Buffer>;
  pings: () => number;
  closed: Promise<{ code: number; reason: string }>;
}

function open(url: string, opts: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
  const queue: Buffer[] = [];
  const waiting: Array<(b: Buffer) => void> = [];
  let pings = 0;
  ws.on('message', (data: Buffer) => {
    const w = waiting.shift();
    if (w) w(data);
    else queue.push(data);
  });
  ws.on('ping', () => pings++);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        next: () => new Promise((res) => (queue.length ? res(queue.shift()!) : waiting.push(res))),
        pings: () => pings,
        closed,
      }),
    );
  });
}

/** Client frames are masked: 2 + 4 header bytes up to 125, 2 + 2 + 4 up to 65535. */
const clientPayloadFor = (wire: number) => wire - 8;
/** Backend frames are not masked: 2 + 2 header bytes for 126..65535. */
const backendPayloadFor = (wire: number) => wire - 4;

describe('messages and keepalive', () => {
  let backend: MessageBackend;
  let deflateBackend: MessageBackend;
  let gw: WsgateChild;
  const url = (p: string) => `${gw.url}/${p}`;

  before(async () => {
    backend = await startMessageBackend();
    deflateBackend = await startMessageBackend({ perMessageDeflate: true });
    const to = (b: MessageBackend) => ({ endpoints: [{ host: '127.0.0.1', port: b.port }] });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      { name: 'size', spec: { match: { path: '/size' }, backend: to(backend), messages: { maxBytes: 1000, maxBytesFromBackend: '1Ki' } } },
      { name: 'throttle', spec: { match: { path: '/throttle' }, backend: to(backend), messages: { rate: { perSecond: 20, burst: 2 } } } },
      { name: 'rate-close', spec: { match: { path: '/rate-close' }, backend: to(backend), messages: { rate: { perSecond: 1, burst: 2 }, onRateExceeded: 'Close' } } },
      { name: 'byte-rate', spec: { match: { path: '/byte-rate' }, backend: to(backend), messages: { byteRate: { perSecond: 1000, burst: 1000 }, onRateExceeded: 'Close' } } },
      { name: 'byte-throttle', spec: { match: { path: '/byte-throttle' }, backend: to(backend), messages: { byteRate: { perSecond: '4Ki', burst: '2Ki' } } } },
      { name: 'keepalive', spec: { match: { path: '/keepalive' }, backend: to(backend), keepalive: { pingInterval: '150ms', pongTimeout: '300ms' } } },
      {
        name: 'deflate',
        spec: { match: { path: '/deflate' }, backend: to(deflateBackend), messages: { maxBytes: 1000 }, keepalive: { pingInterval: '150ms', pongTimeout: '1s' } },
      },
      { name: 'plain', spec: { match: { path: '/plain' }, backend: to(backend) } },
      {
        name: 'idle-keepalive',
        spec: { match: { path: '/idle-keepalive' }, backend: to(backend), timeouts: { idle: '400ms' }, keepalive: { pingInterval: '100ms', pongTimeout: '10s' } },
      },
    ]);
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([backend?.close(), deflateBackend?.close()]);
  });

  test('maxBytes: one byte under passes, one over closes 1009, the backend gets a clean 1001, the next connection works', async () => {
    const c = await open(url('size'));
    const b = await backend.next();
    c.ws.send(Buffer.alloc(clientPayloadFor(1000), 1));
    assert.equal((await c.next()).length, clientPayloadFor(1000));
    c.ws.send(Buffer.alloc(clientPayloadFor(1001), 2));
    const { code, reason } = await c.closed;
    assert.equal(code, 1009);
    assert.equal(reason, 'message over messages.maxBytes');
    const bc = await b.closed;
    assert.equal(bc.code, 1001);
    assert.match(bc.reason, /messages\.maxBytes/);
    assert.deepEqual(b.messages.map((m) => m.length), [clientPayloadFor(1000)], 'the message over the limit never reached the backend');
    // A fragmented message is counted as a whole: 3 fragments of 400 on the wire ≈ 1200.
    const again = await open(url('size'));
    await backend.next();
    again.ws.send('x');
    assert.equal((await again.next()).toString(), 'x');
    again.ws.send(Buffer.alloc(392), { fin: false });
    again.ws.send(Buffer.alloc(392), { fin: false });
    again.ws.send(Buffer.alloc(392), { fin: true });
    assert.equal((await again.closed).code, 1009);
  });

  test('maxBytesFromBackend: the client gets 1011, the backend 1009', async () => {
    const c = await open(url('size'));
    const b = await backend.next();
    c.ws.send(`send:${backendPayloadFor(1024)}`);
    assert.equal((await c.next()).length, backendPayloadFor(1024));
    c.ws.send(`send:${backendPayloadFor(1025)}`);
    const { code, reason } = await c.closed;
    assert.equal(code, 1011);
    assert.equal(reason, 'backend message over messages.maxBytesFromBackend');
    const bc = await b.closed;
    assert.equal(bc.code, 1009);
  });

  test('a limit close waits for the frame the other side is in the middle of: the backend gets that frame whole, then 1009', async () => {
    // Half-open allowed: the client goes on writing its frame after wsgate's close frame and FIN,
    // as a client whose frame was already in flight does.
    const sock = net.connect({ port: gw.proxyPort, host: '127.0.0.1', allowHalfOpen: true });
    const received: Buffer[] = [];
    sock.on('data', (d) => received.push(d));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    try {
      sock.write(`GET /size HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await eventually('101', () => Buffer.concat(received).includes('\r\n\r\n'));
      const b = await backend.next();
      // A whole message asking the backend for one over maxBytesFromBackend, then the first
      // 10 bytes of a 500-byte frame: the client is in the middle of a frame when wsgate closes.
      const second = frame(0x2, Buffer.alloc(500, 9), { mask: true });
      sock.write(Buffer.concat([frame(0x1, Buffer.from(`send:${backendPayloadFor(1025)}`), { mask: true }), second.subarray(0, 16)]));
      await eventually('the client got its close frame', () => {
        const all = Buffer.concat(received);
        const at = all.indexOf('\r\n\r\n') + 4;
        return all.length >= at + 4 && all[at] === 0x88 && all.readUInt16BE(at + 2) === 1011;
      });
      assert.equal(b.messages.length, 1, 'nothing of the unfinished frame reached the backend as a message yet');
      sock.write(second.subarray(16));
      const bc = await b.closed;
      assert.equal(bc.code, 1009);
      assert.deepEqual(b.messages.map((m) => m.length), [`send:${backendPayloadFor(1025)}`.length, 500], 'the frame under way was finished first');
    } finally {
      sock.destroy();
      await closed;
    }
  });

  test('rate with Throttle: every message arrives, in order, and the limit is counted', async () => {
    const c = await open(url('throttle'));
    await backend.next();
    const n = 12;
    for (let i = 0; i < n; i++) c.ws.send(`m${i}`);
    const got: string[] = [];
    for (let i = 0; i < n; i++) got.push((await c.next()).toString());
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `m${i}`));
    await eventually('throttle counted', async () => seriesValue(await scrapeMetrics(gw), 'wsgate_message_limit_total', 'route="throttle",limit="rate"') >= 1);
    c.ws.close();
    await c.closed;
  });

  test('byteRate with Throttle: a large upload arrives whole and in order', async () => {
    const c = await open(url('byte-throttle'));
    await backend.next();
    const parts = Array.from({ length: 6 }, (_, i) => Buffer.alloc(1500, i));
    for (const p of parts) c.ws.send(p);
    for (const p of parts) assert.ok((await c.next()).equals(p));
    await eventually('byteRate throttle counted', async () => seriesValue(await scrapeMetrics(gw), 'wsgate_message_limit_total', 'route="byte-throttle",limit="byteRate"') >= 1);
    c.ws.close();
    await c.closed;
  });

  test('rate with Close: 1008 naming the limit, the backend gets 1001', async () => {
    const c = await open(url('rate-close'));
    const b = await backend.next();
    for (let i = 0; i < 5; i++) c.ws.send(`r${i}`);
    const { code, reason } = await c.closed;
    assert.equal(code, 1008);
    assert.equal(reason, 'over messages.rate');
    assert.equal((await b.closed).code, 1001);
    assert.deepEqual(b.messages.map(String), ['r0', 'r1']);
  });

  test('byteRate with Close: 1008 over messages.byteRate', async () => {
    const c = await open(url('byte-rate'));
    const b = await backend.next();
    c.ws.send(Buffer.alloc(600));
    c.ws.send(Buffer.alloc(600));
    const { code, reason } = await c.closed;
    assert.equal(code, 1008);
    assert.equal(reason, 'over messages.byteRate');
    assert.equal((await b.closed).code, 1001);
    assert.equal(b.messages.length, 1);
  });

  test('keepalive: a client that answers stays open and its pongs never reach the backend', async () => {
    const c = await open(url('keepalive'));
    const b = await backend.next();
    await eventually('three pings answered', () => c.pings() >= 3, 200, 50);
    // Backend-initiated pings still reach the client, and its pong the backend.
    b.ws.ping();
    await eventually('backend ping answered', () => b.pongs === 1);
    c.ws.send('still here');
    assert.equal((await c.next()).toString(), 'still here');
    assert.equal(b.pongs, 1, 'only the pong to the backend\'s own ping');
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    await eventually('pongs counted', async () => seriesValue(await scrapeMetrics(gw), 'wsgate_pings_total', 'route="keepalive",result="pong"') >= 3);
    c.ws.close();
    await c.closed;
  });

  test('keepalive: a client that never answers is closed after pongTimeout, the backend told 1001', async () => {
    const c = await open(url('keepalive'), { autoPong: false });
    const b = await backend.next();
    const { code, reason } = await c.closed;
    assert.equal(code, 1001);
    assert.equal(reason, 'no pong within keepalive.pongTimeout');
    assert.ok(c.pings() >= 1);
    const bc = await b.closed;
    assert.equal(bc.code, 1001);
    const text = await scrapeMetrics(gw);
    assert.ok(seriesValue(text, 'wsgate_pings_total', 'route="keepalive",result="timeout"') >= 1);
    assert.ok(seriesValue(text, 'wsgate_message_limit_total', 'route="keepalive",limit="pong"') >= 1);
  });

  test('keepalive: wsgate\'s own pings are not activity for timeouts.idle (a silent client is idle-closed)', async () => {
    const c = await open(url('idle-keepalive'), { autoPong: false });
    await backend.next();
    const { code, reason } = await c.closed;
    assert.equal(code, 1001);
    assert.equal(reason, 'idle timeout');
    assert.ok(c.pings() >= 1, 'it was pinged before');
  });

  test('a gated route still tells the client 1011 when the backend\'s connection dies', async () => {
    const c = await open(url('keepalive'));
    const b = await backend.next();
    c.ws.send('before');
    assert.equal((await c.next()).toString(), 'before');
    b.ws.terminate();
    const { code } = await c.closed;
    assert.equal(code, 1011);
  });

  test('permessage-deflate: compressed messages pass and are limited on their size on the wire', async () => {
    const c = await open(url('deflate'), { perMessageDeflate: true });
    const b = await deflateBackend.next();
    assert.match(String(c.ws.extensions), /permessage-deflate/);
    // 20000 bytes of one letter compress far below 1000 bytes on the wire.
    const compressible = 'a'.repeat(20_000);
    c.ws.send(compressible);
    assert.equal((await c.next()).toString(), compressible);
    // Keepalive pings pass between compressed frames and are answered.
    await eventually('pinged', () => c.pings() >= 1);
    // Random bytes do not compress: over 1000 on the wire.
    const random = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 2654435761) >>> 24));
    c.ws.send(random);
    assert.equal((await c.closed).code, 1009);
    assert.equal((await b.closed).code, 1001);
    assert.equal(b.pongs, 0);
  });

  test('/debug/routes shows each route\'s compiled message and keepalive settings', async () => {
    const debug = (await (await fetch(`http://127.0.0.1:${gw.adminPort}/debug/routes`)).json()) as {
      routes: Array<{ key: string; messages?: unknown; keepalive?: unknown }>;
    };
    const byKey = new Map(debug.routes.map((r) => [r.key, r]));
    assert.deepEqual(byKey.get('default/size')?.messages, { maxBytes: 1000, maxBytesFromBackend: 1024, onRateExceeded: 'Throttle' });
    assert.deepEqual(byKey.get('default/rate-close')?.messages, { maxBytes: 0, maxBytesFromBackend: 0, rate: { perSecond: 1, burst: 2 }, onRateExceeded: 'Close' });
    assert.deepEqual(byKey.get('default/keepalive')?.keepalive, { pingIntervalMs: 150, pongTimeoutMs: 300 });
    assert.equal(byKey.get('default/plain')?.messages, undefined);
    assert.equal(byKey.get('default/plain')?.keepalive, undefined);
  });

  test('metrics move while a connection stays open', async () => {
    const c = await open(url('plain'));
    await backend.next();
    const before = await scrapeMetrics(gw);
    const m0 = seriesValue(before, 'wsgate_messages_total', 'route="plain",direction="upstream"');
    const b0 = seriesValue(before, 'wsgate_bytes_total', 'route="plain",direction="downstream"');
    for (let i = 0; i < 5; i++) {
      c.ws.send(`hello ${i}`);
      await c.next();
    }
    await eventually('messages and bytes counted while open', async () => {
      const t = await scrapeMetrics(gw);
      return (
        seriesValue(t, 'wsgate_messages_total', 'route="plain",direction="upstream"') >= m0 + 5 &&
        seriesValue(t, 'wsgate_messages_total', 'route="plain",direction="downstream"') >= 5 &&
        seriesValue(t, 'wsgate_bytes_total', 'route="plain",direction="downstream"') > b0
      );
    });
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.close();
    await c.closed;
  });
});

describe('messages and keepalive with --workers 2', () => {
  test('limits and pings act in the workers, and their metrics reach the one /metrics', async () => {
    const backend = await startMessageBackend();
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      {
        name: 'both',
        spec: {
          match: { path: '/both' },
          backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] },
          messages: { maxBytes: 100 },
          keepalive: { pingInterval: '100ms', pongTimeout: '200ms' },
        },
      },
    ]);
    const gw = await startWsgate(['standalone', '--config', file, '--workers', '2']);
    try {
      const silent = await open(`${gw.url}/both`, { autoPong: false });
      const big = await open(`${gw.url}/both`);
      big.ws.send(Buffer.alloc(200));
      assert.equal((await big.closed).code, 1009);
      assert.equal((await silent.closed).code, 1001);
      await eventually('worker metrics aggregated', async () => {
        const text = await scrapeMetrics(gw);
        return (
          seriesValue(text, 'wsgate_message_limit_total', 'route="both",limit="size"') === 1 &&
          seriesValue(text, 'wsgate_pings_total', 'route="both",result="timeout"') === 1
        );
      });
    } finally {
      await gw.stop();
      await backend.close();
    }
  });
});
