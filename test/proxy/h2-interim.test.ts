// A backend's interim answers (103 Early Hints, 102 Processing) reach an HTTP/2 client before
// the final response, without connection-specific fields: from an HTTP/1.1 backend (written
// by hand, so each field is the test's choice) and from an h2c backend. Node's http2 client
// reports each 1xx head as a 'headers' event on the request.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { route } from '../fixtures.js';
import { startH2Proxy, type H2Proxy } from '../helpers/h2-proxy.js';
import { startHeadBackend } from '../helpers/head-backend.js';
import { HINT_LINK, startH2cBackend, type H2cBackend } from '../helpers/h2c-backend.js';

const LINK = HINT_LINK;

/** 102, then 103 with a hint and connection-specific fields, then 200 "ok"; one request per connection. */
const H1_ANSWER =
  'HTTP/1.1 102 Processing\r\n\r\n' +
  `HTTP/1.1 103 Early Hints\r\nlink: ${LINK}\r\nx-hint: early\r\nconnection: x-private\r\nx-private: between backend and proxy\r\nkeep-alive: timeout=5\r\n\r\n` +
  'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok';

/** Answers every request with H1_ANSWER and closes. */
const startH1Backend = () => startHeadBackend((_head, socket) => socket.end(H1_ANSWER));

interface Answer {
  interim: http2.IncomingHttpHeaders[];
  status: number;
  body: string;
}

function get(session: http2.ClientHttp2Session, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'GET', ':path': path, ':authority': 'hints.test' });
    const answer: Answer = { interim: [], status: 0, body: '' };
    req.on('headers', (h) => answer.interim.push(h));
    req.on('response', (h) => (answer.status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (d: string) => (answer.body += d));
    req.on('end', () => resolve(answer));
    req.on('error', reject);
  });
}

describe('1xx over HTTP/2: interim answers from the backend reach the client before the response', () => {
  let h1: Awaited<ReturnType<typeof startH1Backend>>;
  let h2c: H2cBackend;
  let h: H2Proxy;

  before(async () => {
    h1 = await startH1Backend();
    h2c = await startH2cBackend();
    const at = (port: number) => [{ host: '127.0.0.1', port }];
    h = await startH2Proxy([
      route('h1', { match: { path: '/h1/{rest}' }, backend: { endpoints: at(h1.port), path: '/{rest}' }, http: { methods: ['GET'] } }),
      route('h2c', { match: { path: '/h2c/{rest}' }, backend: { endpoints: at(h2c.port), path: '/{rest}', protocol: 'h2c' }, http: { methods: ['GET'] } }),
    ]);
  });
  after(async () => {
    await h.close();
    await h1.close();
    await h2c.close();
  });

  test('from an HTTP/1.1 backend: 102 and 103 in order, the hint kept, no connection-specific field; then the 200', async () => {
    const a = await get(h.session, '/h1/page');
    assert.deepEqual(
      a.interim.map((h) => h[':status']),
      [102, 103],
    );
    const hints = a.interim[1]!;
    assert.equal(hints.link, LINK);
    assert.equal(hints['x-hint'], 'early');
    for (const name of ['connection', 'keep-alive', 'x-private']) assert.equal(hints[name], undefined, name);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'ok');
  });

  test('from an h2c backend: its 103 with the hint, then the 200', async () => {
    const a = await get(h.session, '/h2c/v1/hints');
    assert.deepEqual(
      a.interim.map((h) => h[':status']),
      [103],
    );
    assert.equal(a.interim[0]!.link, LINK);
    assert.equal(a.interim[0]!['x-hint'], 'early');
    assert.equal(a.status, 200);
    assert.equal(a.body, 'ok');
  });
});
