// Plain requests over HTTP/2 through a real `wsgate standalone` process with a TLS listener, to
// HTTP/1.1 backends: ALPN (h2 by default, http/1.1 alone with --no-http2), the same stages as
// over HTTP/1.1 (method gating, Host from :authority, X-Forwarded-Proto), bodies both ways with
// wsgate's own framing, flow control as backpressure, trailers, 100-continue, aborts both ways,
// the backend's connection-specific fields kept off the h2 response, affinity cookies, and the
// RFC 8441 setting with its CONNECT streams sent to onWebSocketStream.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeCa, writeSecret, type TestCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { closeSession, h2Connect, h2Request } from '../helpers/h2-client.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics-scrape.js';
import { downloadSha256, startHttpBackend, TRAILER_CHUNKS, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { runCli, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const HOST = 'h2.test';

/** The protocol a TLS handshake offering `offer` settles on. */
function negotiated(port: number, ca: string, offer: string[]): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: HOST, ca, ALPNProtocols: offer }, () => {
      const p = s.alpnProtocol ?? false;
      s.destroy();
      resolve(p);
    });
    s.once('error', reject);
  });
}

interface Setup {
  ca: TestCa;
  backends: HttpBackend[];
  gw: WsgateChild;
}

async function setup(extraArgs: string[]): Promise<Setup> {
  const ca = makeCa();
  const leaf = ca.issue(HOST, [HOST]);
  const backends = [await startHttpBackend('one'), await startHttpBackend('two')];
  const dir = tempDir();
  const secretsDir = path.join(dir, 'secrets');
  writeSecret(secretsDir, 'default', 'h2-tls', { 'tls.crt': leaf.cert, 'tls.key': leaf.key });
  const ep = (b: HttpBackend) => ({ host: '127.0.0.1', port: b.port });
  const tlsRef = { secretRef: { name: 'h2-tls' } };
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(
    file,
    routesYaml([
      { name: 'app', spec: { hosts: [HOST], tls: tlsRef, match: { path: '/app/{rest}' }, backend: { endpoints: [ep(backends[0]!)], path: '/{rest}' }, http: { methods: ['GET', 'POST', 'PUT'] } } },
      { name: 'ws-only', spec: { hosts: [HOST], tls: tlsRef, match: { path: '/ws/{rest}' }, backend: { endpoints: [ep(backends[0]!)] } } },
      {
        name: 'sticky',
        spec: { hosts: [HOST], tls: tlsRef, match: { path: '/sticky/{rest}' }, backend: { endpoints: backends.map(ep), path: '/{rest}' }, http: { methods: ['GET'] }, sessionAffinity: { cookie: { name: 'sticky' } } },
      },
    ]),
  );
  const gw = await startWsgate(['standalone', '--config', file, '--secrets-dir', secretsDir, '--tls-listen', '127.0.0.1:0', ...extraArgs]);
  return { ca, backends, gw };
}

describe('HTTP/2 plain requests over TLS', () => {
  let s: Setup;
  let session: http2.ClientHttp2Session;
  const get = (p: string, extra: http2.OutgoingHttpHeaders = {}) => h2Request(session, { ':method': 'GET', ':path': p, ':authority': HOST, ...extra });

  before(async () => {
    s = await setup([]);
    session = await h2Connect(s.gw.tlsPort!, s.ca.cert, HOST);
  });
  after(async () => {
    await closeSession(session);
    await s.gw.stop();
    await Promise.all(s.backends.map((b) => b.close()));
  });

  test('ALPN: h2 is offered first by default, http/1.1 still served; the session advertises RFC 8441 and a stream limit', async () => {
    assert.equal(await negotiated(s.gw.tlsPort!, s.ca.cert, ['h2', 'http/1.1']), 'h2');
    assert.equal(await negotiated(s.gw.tlsPort!, s.ca.cert, ['http/1.1']), 'http/1.1');
    assert.equal(session.alpnProtocol, 'h2');
    assert.equal(session.remoteSettings.enableConnectProtocol, true);
    assert.equal(session.remoteSettings.maxConcurrentStreams, 100);
  });

  test('GET: the route\'s stages as over HTTP/1.1; the backend gets an HTTP/1.1 request with Host from :authority and no pseudo-header', async () => {
    const r = await get('/app/hello?x=1');
    assert.equal(r.status, 200);
    const hello = JSON.parse(r.body.toString()) as HelloBody;
    assert.equal(hello.url, '/hello?x=1');
    assert.equal(hello.headers.host, HOST);
    assert.equal(hello.headers['x-forwarded-proto'], 'https');
    assert.ok(!Object.keys(hello.headers).some((k) => k.startsWith(':')), JSON.stringify(hello.headers));
    assert.equal(hello.headers['content-length'], undefined);
    assert.equal(hello.headers['transfer-encoding'], undefined);
  });

  test('method gating: 405 with Allow for a method the route does not list, 426 on an upgrade-only route (without Upgrade/Connection fields)', async () => {
    const del = await h2Request(session, { ':method': 'DELETE', ':path': '/app/hello', ':authority': HOST });
    assert.equal(del.status, 405);
    assert.equal(del.headers.allow, 'GET, POST, PUT');
    const ws = await get('/ws/x');
    assert.equal(ws.status, 426);
    assert.equal(ws.headers.upgrade, undefined);
    assert.equal(ws.headers.connection, undefined);
    assert.equal((await get('/nowhere')).status, 404);
  });

  test('request bodies: with content-length the backend gets that Content-Length; without one, chunked; the bytes arrive intact', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const sha = createHash('sha256').update(body).digest('hex');
    const sized = await h2Request(session, { ':method': 'POST', ':path': '/app/upload?sized', ':authority': HOST, 'content-length': String(body.length) }, body);
    assert.equal(sized.status, 200);
    assert.deepEqual(JSON.parse(sized.body.toString()), { backend: 'one', bytes: body.length, sha256: sha });
    const rec1 = await s.backends[0]!.waitForRequest((r) => r.url === '/upload?sized');
    assert.equal(rec1.headers['content-length'], String(body.length));
    assert.equal(rec1.headers['transfer-encoding'], undefined);

    const unsized = await h2Request(session, { ':method': 'PUT', ':path': '/app/upload?unsized', ':authority': HOST }, body);
    assert.equal(unsized.status, 200);
    assert.equal((JSON.parse(unsized.body.toString()) as { sha256: string }).sha256, sha);
    const rec2 = await s.backends[0]!.waitForRequest((r) => r.url === '/upload?unsized');
    assert.equal(rec2.headers['transfer-encoding'], 'chunked');
    assert.equal(rec2.headers['content-length'], undefined);
  });

  test('response bodies stream in order; trailers arrive as HTTP/2 trailers', async () => {
    const dl = await get('/app/download?mib=8&chunked=1');
    assert.equal(dl.status, 200);
    assert.equal(createHash('sha256').update(dl.body).digest('hex'), downloadSha256(8));
    const tr = await get('/app/trailers');
    assert.equal(tr.body.toString(), TRAILER_CHUNKS.join(''));
    assert.equal(tr.trailers?.['x-checksum'], createHash('sha256').update(TRAILER_CHUNKS.join('')).digest('hex'));
  });

  test('flow control is backpressure: a client that stops reading stops the backend\'s writes; resumed, the whole body arrives', async () => {
    const stream = session.request({ ':method': 'GET', ':path': '/app/download?mib=64&flow', ':authority': HOST });
    stream.on('error', () => {});
    const first = new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.resume();
    await first;
    stream.pause();
    const rec = await s.backends[0]!.waitForRequest((r) => r.url === '/download?mib=64&flow');
    // Nothing announces that nothing more happens: a bounded wait, then the backend must still be writing.
    await sleep(500);
    assert.equal(rec.finished, false, 'the backend finished 64 MiB for a client that read nothing');
    const h = createHash('sha256');
    stream.on('data', (c: Buffer) => h.update(c));
    const done = new Promise<void>((resolve) => stream.once('end', () => resolve()));
    stream.resume();
    await done;
    await rec.outcome;
    assert.equal(rec.finished, true);
  });

  test('100-continue: wsgate answers 100 itself, the backend gets the body without Expect', async () => {
    const r = await h2Request(session, { ':method': 'POST', ':path': '/app/continue', ':authority': HOST, expect: '100-continue', 'content-length': '5' }, 'hello');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), { backend: 'one', bytes: 5, expectedContinue: false });
  });

  test('RST_STREAM from the client aborts the backend request', async () => {
    const stream = session.request({ ':method': 'GET', ':path': '/app/hold?ms=30000&abort', ':authority': HOST });
    stream.on('error', () => {});
    const rec = await s.backends[0]!.waitForRequest((r) => r.url === '/hold?ms=30000&abort');
    stream.close(http2.constants.NGHTTP2_CANCEL);
    assert.equal(await rec.outcome, 'aborted');
  });

  test('a backend that cuts the response mid-body resets the stream with INTERNAL_ERROR (not a clean end)', async () => {
    const r = await get('/app/reset');
    assert.equal(r.status, 200);
    assert.equal(r.complete, false);
    assert.equal(r.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
    assert.ok(r.body.length < 1000);
  });

  test('the backend\'s connection-specific fields and those its Connection names do not reach the h2 response', async () => {
    const r = await get('/app/hop-by-hop');
    assert.equal(r.status, 200);
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'x-private']) assert.equal(r.headers[name], undefined, name);
    assert.equal(r.headers['x-public'], 'end to end');
  });

  test('session affinity: the Set-Cookie comes over h2 and the cookie keeps the client on its endpoint', async () => {
    const first = await get('/sticky/hello');
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    assert.match(cookie, /^sticky=/);
    const backend = (JSON.parse(first.body.toString()) as HelloBody).backend;
    for (let i = 0; i < 6; i++) {
      const again = await get('/sticky/hello', { cookie });
      assert.equal((JSON.parse(again.body.toString()) as HelloBody).backend, backend);
    }
  });

  test('CONNECT with :protocol websocket over the TLS listener is an RFC 8441 WebSocket (200 from the backend\'s upgrade); another CONNECT is 501', async () => {
    const ws = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/ws/x', ':scheme': 'https', ':authority': HOST, 'sec-websocket-version': '13' }, { endStream: false });
    ws.on('error', () => {});
    const status = await new Promise<number>((resolve) => ws.once('response', (h) => resolve(Number(h[':status']))));
    assert.equal(status, 200);
    assert.equal(s.backends[0]!.upgrades.at(-1)?.url, '/ws/x');
    ws.close(http2.constants.NGHTTP2_CANCEL);
    const tunnel = await h2Request(session, { ':method': 'CONNECT', ':authority': 'example.com:443' });
    assert.equal(tunnel.status, 501);
  });

  test('observe: wsgate_http_requests_total{protocol="h2"} and the access-log line say h2, with the stream\'s DATA bytes', async () => {
    const label = 'namespace="default",route="app",method="POST",code="200",protocol="h2"';
    const before = seriesValue(await scrapeMetrics(s.gw), 'wsgate_http_requests_total', label);
    const body = Buffer.alloc(5000, 1);
    const r = await h2Request(session, { ':method': 'POST', ':path': '/app/upload?observe', ':authority': HOST, 'x-request-id': 'h2-observe-1' }, body);
    assert.equal(r.status, 200);
    const line = await eventually('the access-log line', () =>
      s.gw
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"http request"') && l.includes('h2-observe-1'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)[0],
    );
    assert.deepEqual([line.protocol, line.method, line.status, line.route, line.bytesIn, line.bytesOut], ['h2', 'POST', 200, 'default/app', 5000, r.body.length]);
    assert.equal(seriesValue(await scrapeMetrics(s.gw), 'wsgate_http_requests_total', label), before + 1);
  });

  test('many streams at once on one session: every answer is its own', async () => {
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => get(`/app/hello?i=${i}`)));
    answers.forEach((a, i) => {
      assert.equal(a.status, 200);
      assert.equal((JSON.parse(a.body.toString()) as HelloBody).url, `/hello?i=${i}`);
    });
  });
});

describe('--no-http2', () => {
  let s: Setup;
  before(async () => (s = await setup(['--no-http2'])));
  after(async () => {
    await s.gw.stop();
    await Promise.all(s.backends.map((b) => b.close()));
  });

  test('ALPN offers http/1.1 only: a client asking for h2 alone gets no protocol, one offering both gets http/1.1', async () => {
    assert.equal(await negotiated(s.gw.tlsPort!, s.ca.cert, ['h2', 'http/1.1']), 'http/1.1');
    await assert.rejects(negotiated(s.gw.tlsPort!, s.ca.cert, ['h2']), /no application protocol|ALPN/i);
  });
});

describe('--tls-alpn', () => {
  test('a list without http/1.1 or with an unknown protocol stops the start with the reason; --no-http2 with h2 listed too', async () => {
    const noH1 = await runCli(['standalone', '--config', '/dev/null', '--tls-alpn', 'h2']);
    assert.notEqual(noH1.code, 0);
    assert.match(noH1.stderr, /must offer http\/1\.1/);
    const unknown = await runCli(['standalone', '--config', '/dev/null', '--tls-alpn', 'h3,http/1.1']);
    assert.match(unknown.stderr, /unknown ALPN protocol h3/);
    const both = await runCli(['standalone', '--config', '/dev/null', '--no-http2', '--tls-alpn', 'h2,http/1.1']);
    assert.match(both.stderr, /contradict/);
  });
});
