// The bench's bare Node.js HTTP relay (bench/node-relay-tls.ts), the floor wsgate's plain
// requests are compared with, must be a working reverse proxy over h2 and over HTTP/1.1 on one
// TLS listener, or "wsgate vs bare Node" compares wsgate with something that does less.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type tls from 'node:tls';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeSelfSignedCertificate, type BenchCertificate } from '../../bench/lib/tls.js';
import { startNodeRelayTls, type Target } from '../../bench/targets.js';

interface Seen {
  backend: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const backends: http.Server[] = [];
let dir: string;
let cert: BenchCertificate;
let relay: Target;

/** A backend that answers with what it got, as JSON, and a hop-by-hop header the relay must not pass on. */
function startBackend(n: number): Promise<number> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const seen: Seen = { backend: n, method: req.method!, url: req.url!, headers: req.headers, body };
      res.writeHead(201, { 'content-type': 'application/json', 'x-backend': String(n), 'keep-alive': 'timeout=5', connection: 'keep-alive' });
      res.end(JSON.stringify(seen));
    });
  });
  backends.push(server);
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => (server.address() as AddressInfo).port);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-relay-tls-'));
  cert = makeSelfSignedCertificate(dir);
  const ports = [await startBackend(0), await startBackend(1)];
  relay = await startNodeRelayTls({ ports, pid: 0, stop: async () => {} }, cert);
});

after(async () => {
  await relay.stop();
  for (const b of backends) b.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function overH2(body: string): Promise<{ status: number; headers: http2.IncomingHttpHeaders; seen: Seen }> {
  const url = new URL(relay.h2!.requestUrl);
  const session = http2.connect(url.origin, { ca: cert.pem });
  try {
    const stream = session.request({ ':method': 'POST', ':path': `${url.pathname}?q=1`, 'x-client': 'h2', 'content-type': 'text/plain' });
    stream.end(body);
    const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
    let text = '';
    stream.setEncoding('utf8');
    for await (const d of stream) text += d as string;
    return { status: Number(headers[':status']), headers, seen: JSON.parse(text) as Seen };
  } finally {
    session.close();
  }
}

async function overH1(body: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; seen: Seen; alpn: string | false | null }> {
  const url = new URL(relay.h2!.requestUrl);
  // Offered by ALPN as a browser would (https.request offers none unless told).
  const options: https.RequestOptions & tls.ConnectionOptions = { method: 'POST', ca: cert.pem, ALPNProtocols: ['http/1.1'], agent: false, headers: { 'x-client': 'h1', 'proxy-connection': 'keep-alive', te: 'trailers' } };
  const req = https.request(url, options);
  req.end(body);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let text = '';
  res.setEncoding('utf8');
  for await (const d of res) text += d as string;
  const alpn = (req.socket as tls.TLSSocket).alpnProtocol;
  return { status: res.statusCode!, headers: res.headers, seen: JSON.parse(text) as Seen, alpn };
}

test('node-relay-tls over h2: the request (method, path, headers, body) reaches a backend and its answer comes back without hop-by-hop headers', async () => {
  const { status, headers, seen } = await overH2('hello over h2');
  assert.equal(status, 201);
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers['keep-alive'], undefined);
  assert.deepEqual([seen.method, seen.url, seen.body], ['POST', '/ws/bench?q=1', 'hello over h2']);
  assert.equal(seen.headers['x-client'], 'h2');
  assert.equal(seen.headers.host, new URL(relay.h2!.requestUrl).host);
  assert.ok(!Object.keys(seen.headers).some((k) => k.startsWith(':')), 'no h2 pseudo-header reaches the backend');
});

test('node-relay-tls over HTTP/1.1 (ALPN) on the same listener: hop-by-hop request headers are dropped', async () => {
  const { status, headers, seen, alpn } = await overH1('hello over h1');
  assert.equal(alpn, 'http/1.1');
  assert.equal(status, 201);
  assert.equal(headers['keep-alive'], undefined);
  assert.deepEqual([seen.method, seen.url, seen.body], ['POST', '/ws/bench', 'hello over h1']);
  assert.equal(seen.headers['x-client'], 'h1');
  assert.equal(seen.headers['proxy-connection'], undefined);
  assert.equal(seen.headers.te, undefined);
});

test('node-relay-tls: requests go round robin over the backends', async () => {
  const got = new Set<number>();
  for (let i = 0; i < 4; i++) got.add((await overH2('x')).seen.backend);
  assert.deepEqual([...got].sort(), [0, 1]);
});
