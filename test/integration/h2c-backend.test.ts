// Plain requests to an h2c backend (WebSocketRoute backend.protocol h2c; an HTTPRoute's Service
// port with appProtocol kubernetes.io/h2c takes the same path) through a real `wsgate
// standalone` process. The backend is http2.createServer without allowHTTP1: it speaks nothing
// but HTTP/2 with prior knowledge, so every request that reaches it came over h2c. Covered: one
// session per endpoint reused, the heads mapped both ways, bodies streamed both ways, a client
// that leaves resets the backend's stream, a backend's reset cuts or fails the client's response,
// and an upgrade to such a backend (HTTP/1.1, which it refuses) is answered 502.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startH2cBackend, type H2cBackend } from '../helpers/h2c-backend.js';
import { plainRequest } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

/** A request whose response body the test reads as it arrives. */
function openRequest(port: number, target: string, method = 'GET', headers: http.OutgoingHttpHeaders = {}) {
  const req = http.request({ host: '127.0.0.1', port, path: target, method, headers, agent: false });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  return { req, response };
}

/** Resolves with what has arrived once `text` is in it. */
function readUntil(res: http.IncomingMessage, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (c: Buffer) => {
      got += c.toString();
      if (got.includes(text)) {
        res.off('data', onData);
        resolve(got);
      }
    };
    res.on('data', onData);
    res.once('close', () => reject(new Error(`response closed before ${JSON.stringify(text)}; got ${JSON.stringify(got)}`)));
  });
}

describe('plain requests to an h2c backend', () => {
  let backend: H2cBackend;
  let gw: WsgateChild;

  before(async () => {
    backend = await startH2cBackend();
    const dir = tempDir();
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'h2c',
          spec: {
            match: { path: '/h2c/{rest}' },
            backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], protocol: 'h2c', path: '/v1/{rest}' },
            http: { methods: ['GET', 'POST'] },
          },
        },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('GETs reach the h2c-only backend on one reused HTTP/2 session; the heads are mapped both ways', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await plainRequest(gw.proxyPort, `/h2c/hello?i=${i}`, { headers: { connection: 'keep-alive, x-hop', 'x-hop': 'dropped', 'x-kept': 'yes' } });
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body.toString()), { method: 'GET', target: `/v1/hello?i=${i}`, authority: `127.0.0.1:${gw.proxyPort}` });
      assert.equal(r.headers['x-backend'], 'h2c');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(!Object.keys(r.headers).some((k) => k.startsWith(':')), 'no pseudo-header reaches the HTTP/1.1 client');
    }
    assert.equal(backend.sessions.length, 1, 'one session to the endpoint, reused');
    const seen = backend.streams.filter((s) => String(s.headers[':path']).startsWith('/v1/hello'));
    assert.equal(seen.length, 3);
    for (const s of seen) {
      assert.equal(s.headers.connection, undefined);
      assert.equal(s.headers['x-hop'], undefined, 'a field the client\'s Connection names is not forwarded');
      assert.equal(s.headers['x-kept'], 'yes');
      assert.equal(s.headers.host, undefined, 'Host travels as :authority');
    }
  });

  test('a chunked request body streams to the backend and its response streams back before either ends', async () => {
    const { req, response } = openRequest(gw.proxyPort, '/h2c/echo', 'POST', { 'transfer-encoding': 'chunked' });
    req.write('one|');
    const res = await response;
    assert.equal(res.statusCode, 200);
    // The backend echoes as it receives: 'one|' comes back while the request is still open.
    const first = await readUntil(res, 'one|');
    const rest = new Promise<string>((resolve) => {
      let got = '';
      res.on('data', (c: Buffer) => (got += c.toString()));
      res.once('end', () => resolve(got));
    });
    req.end('two');
    assert.equal(first + (await rest), 'one|two');
    const stream = backend.streams.find((s) => s.headers[':path'] === '/v1/echo')!;
    assert.equal(stream.headers['transfer-encoding'], undefined);
    assert.equal(stream.headers['content-length'], undefined);
    assert.equal(await stream.closed, 0);
  });

  test('a Content-Length body arrives byte-exact with its length', async () => {
    const body = randomBytes(256 * 1024);
    const r = await plainRequest(gw.proxyPort, '/h2c/echo?sized', { method: 'POST', headers: { 'content-length': body.length }, body });
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(body), 'echoed byte-exact');
    const stream = backend.streams.find((s) => s.headers[':path'] === '/v1/echo?sized')!;
    assert.equal(stream.headers['content-length'], String(body.length));
  });

  test('the backend\'s trailers reach an HTTP/1.1 client as chunked trailers', async () => {
    const r = await plainRequest(gw.proxyPort, '/h2c/trailers', { headers: { te: 'trailers' } });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'body with trailers\n');
    assert.equal(r.trailers['x-checksum'], 'c0ffee');
  });

  test('a client that leaves mid-response resets the backend stream (CANCEL)', async () => {
    const { req, response } = openRequest(gw.proxyPort, '/h2c/hold');
    req.end();
    const res = await response;
    await readUntil(res, 'first\n');
    const held = backend.streams.find((s) => s.headers[':path'] === '/v1/hold')!;
    req.destroy();
    assert.equal(await held.closed, http2.constants.NGHTTP2_CANCEL);
  });

  test('a client that leaves mid-upload resets the backend stream before the body ends: no truncated body looks complete', async () => {
    const { req, response } = openRequest(gw.proxyPort, '/h2c/echo?upload', 'POST', { 'transfer-encoding': 'chunked' });
    req.write('part|');
    await readUntil(await response, 'part|');
    const upload = backend.streams.find((s) => s.headers[':path'] === '/v1/echo?upload')!;
    req.destroy();
    assert.notEqual(await upload.closed, http2.constants.NGHTTP2_NO_ERROR);
    assert.equal(upload.bodyEnded, false);
  });

  test('a backend reset mid-response cuts the client\'s response; a reset before any response is a 502', async () => {
    const { req, response } = openRequest(gw.proxyPort, '/h2c/reset-mid');
    req.end();
    const res = await response;
    assert.equal(res.statusCode, 200);
    const cut = await new Promise<boolean>((resolve) => {
      res.resume();
      res.once('end', () => resolve(false));
      res.once('close', () => resolve(!res.complete));
    });
    assert.ok(cut, 'the client sees an incomplete body, never a clean end');
    const early = await plainRequest(gw.proxyPort, '/h2c/reset-early');
    assert.equal(early.status, 502);
  });

  test('a WebSocket upgrade to the h2c-only backend goes over HTTP/1.1, which it refuses: 502', async () => {
    const r = await plainRequest(gw.proxyPort, '/h2c/ws', {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') },
    });
    assert.equal(r.status, 502);
  });
});
