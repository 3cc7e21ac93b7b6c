// Pieces of the hand-written upgrade path and of connection lifecycles, in process: the
// request head, the status line, where a chunked body ends, the shutdown spread, and that an
// established connection keeps nothing of its handshake.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { compile } from '../../src/routing/compile.js';
import { WebSocketProxy, shutdownCloseAt, shutdownCloseDue } from '../../src/proxy/server.js';
import { findAmbiguity } from '../../src/proxy/client-handshake.js';
import { requestHead, statusOf } from '../../src/proxy/backend-handshake.js';
import { ChunkedEnd } from '../../src/proxy/chunked-end.js';
import { acceptMatches, acceptOf, expectedAccept } from '../../src/proxy/websocket-accept.js';
import { eventually } from '../helpers/eventually.js';
import { route } from '../fixtures.js';

test('requestHead writes the target and every header (arrays as repeated lines) in order', () => {
  const head = requestHead('/a?b=%2F', { host: 'x', 'sec-websocket-protocol': 'p1, p2', 'x-tag': ['a', 'b'], skipped: undefined });
  assert.equal(head, 'GET /a?b=%2F HTTP/1.1\r\nhost: x\r\nsec-websocket-protocol: p1, p2\r\nx-tag: a\r\nx-tag: b\r\n\r\n');
});

test('Sec-WebSocket-Accept: the RFC 6455 example, any header case and spacing; missing, repeated or another key\'s value does not match', () => {
  assert.equal(expectedAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  const head = (lines: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n${lines}\r\n`;
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  assert.ok(acceptMatches(head('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'), key));
  assert.ok(acceptMatches(head('sec-websocket-accept:\ts3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\n'), key));
  assert.ok(acceptMatches(head('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'), ` ${key} `), 'the key as the client sent it, spaces trimmed');
  assert.equal(acceptOf(head('X-A: 1\r\n')), null);
  assert.equal(acceptOf(head('Sec-WebSocket-Accept: a\r\nSec-WebSocket-Accept: b\r\n')), null);
  assert.ok(!acceptMatches(head('X-Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'), key), 'another header ending in the name');
  assert.ok(!acceptMatches(head('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'), 'AQIDBAUGBwgJCgsMDQ4PEA=='));
  assert.ok(!acceptMatches(head('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=,x\r\n'), key));
  assert.ok(!acceptMatches(head('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'), undefined));
});

test('an upgrade may carry no body: any Transfer-Encoding or a non-zero Content-Length is refused, Content-Length: 0 is not', () => {
  const base = ['Host', 'x', 'Upgrade', 'websocket'];
  assert.equal(findAmbiguity(base), null);
  assert.equal(findAmbiguity([...base, 'Content-Length', '0']), null);
  assert.match(findAmbiguity([...base, 'Content-Length', '5']) ?? '', /Content-Length/);
  assert.match(findAmbiguity([...base, 'content-length', ' 1 ']) ?? '', /Content-Length/);
  for (const te of ['chunked', 'identity', 'gzip, chunked']) assert.match(findAmbiguity([...base, 'Transfer-Encoding', te]) ?? '', /Transfer-Encoding/);
  assert.match(findAmbiguity([...base, 'Host', 'y']) ?? '', /duplicate Host/);
});

test('statusOf reads HTTP/1.x status lines and refuses anything else', () => {
  const s = (t: string) => statusOf(Buffer.from(t, 'latin1'));
  assert.equal(s('HTTP/1.1 101 Switching Protocols\r\n\r\n'), 101);
  assert.equal(s('HTTP/1.0 503 x\r\n\r\n'), 503);
  assert.equal(s('HTTP/1.1 204\r\n\r\n'), 204);
  assert.equal(s('HTTP/2 200 OK\r\n\r\n'), -1);
  assert.equal(s('HTTP/1.1 6000 x\r\n\r\n'), -1);
  assert.equal(s('SSH-2.0-OpenSSH\r\n\r\n'), -1);
  assert.equal(s('HTTP/1.1 099 x\r\n\r\n'), -1);
});

test('ChunkedEnd finds the end of a chunked body (extensions, trailers), whatever the split', () => {
  const body = '4;name=v\r\nWiki\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n';
  const after = 'NEXT';
  const all = Buffer.from(body + after, 'latin1');
  for (let split = 1; split < all.length; split++) {
    const c = new ChunkedEnd();
    const first = c.feed(all.subarray(0, split));
    if (first !== -1) {
      assert.equal(first, body.length, `split ${split}`);
      continue;
    }
    assert.equal(split + c.feed(all.subarray(split)), body.length, `split ${split}`);
    assert.ok(c.done);
  }
  const plain = new ChunkedEnd();
  assert.equal(plain.feed(Buffer.from('0\r\n\r\n')), 5);
  const open = new ChunkedEnd();
  assert.equal(open.feed(Buffer.from('5\r\nabcde\r\n')), -1);
  assert.equal(open.done, false);
});

test('ChunkedEnd gives a chunked body\'s data without its framing (what an HTTP/2 stream carries), whatever the split', () => {
  const all = Buffer.from('4;name=v\r\nWiki\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\nNEXT', 'latin1');
  for (let split = 0; split <= all.length; split++) {
    const c = new ChunkedEnd();
    const data: Buffer[] = [];
    const keep = (d: Buffer) => data.push(Buffer.from(d));
    if (c.feed(all.subarray(0, split), keep) === -1) c.feed(all.subarray(split), keep);
    assert.equal(Buffer.concat(data).toString('latin1'), 'Wiki0123456789abcdef', `split ${split}`);
    assert.ok(c.done, `split ${split}`);
  }
});

test('a spread shutdown closes the k-th of n connections at grace·k/n, none at the start, all at the end', () => {
  const n = 10;
  const grace = 1000;
  assert.equal(shutdownCloseDue(n, grace, 0), 0);
  assert.equal(shutdownCloseDue(n, grace, 99), 0);
  assert.equal(shutdownCloseDue(n, grace, 100), 1);
  assert.equal(shutdownCloseDue(n, grace, 550), 5);
  assert.equal(shutdownCloseDue(n, grace, 999), 9);
  assert.equal(shutdownCloseDue(n, grace, 1000), 10);
  assert.equal(shutdownCloseDue(n, 0, 0), n, 'no grace: all at once');
  for (let i = 0; i < n; i++) {
    const at = shutdownCloseAt(i, n, grace);
    assert.equal(shutdownCloseDue(n, grace, at), i + 1, `the close due at ${at} ms`);
    assert.equal(shutdownCloseDue(n, grace, at - 1), i);
  }
  // Never more than ceil(n/grace) closes per millisecond-step: a bounded reconnect rate.
  const perSecond: number[] = [];
  for (let s = 0; s < 25; s++) perSecond.push(shutdownCloseDue(5000, 25_000, (s + 1) * 1000) - shutdownCloseDue(5000, 25_000, s * 1000));
  assert.deepEqual(new Set(perSecond), new Set([200]));
});

/** A full GC from inside the test (the flag is set at run time, then `gc` is read from a fresh context). */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

test('an established connection keeps nothing of its handshake: its request and the client IncomingMessage are collected', async () => {
  const backend = http.createServer();
  const wss = new WebSocketServer({ server: backend });
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const port = (backend.address() as net.AddressInfo).port;
  const proxy = new WebSocketProxy({ logger: pino({ level: 'silent' }) });
  proxy.setTable(compile({ routes: [route('r', { match: { path: '/r' }, backend: { endpoints: [{ host: '127.0.0.1', port }] } })] }).table);
  const refs: WeakRef<http.IncomingMessage>[] = [];
  proxy.server.prependListener('upgrade', (req: http.IncomingMessage) => refs.push(new WeakRef(req)));
  const addr = await proxy.listen('127.0.0.1', 0);
  const clients: WebSocket[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${addr.port}/r`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const echoed = new Promise((resolve) => ws.once('message', resolve));
      ws.send('hi');
      await echoed;
      clients.push(ws);
    }
    assert.equal(proxy.connections.size, 5);
    await eventually('every request collected while its connection is open', () => {
      fullGc();
      return refs.every((r) => r.deref() === undefined);
    }, 50, 20);
    assert.equal(proxy.connections.size, 5);
  } finally {
    for (const ws of clients) ws.terminate();
    await proxy.close();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => backend.close(() => r()));
  }
});
