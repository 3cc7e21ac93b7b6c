// A backend's 102 and 103 reach an HTTP/1.1 client before the final response, framed by wsgate
// from checked fields (each Link of a comma-joined value on its own, no connection-specific
// field, no field the backend's Connection names); an HTTP/1.0 client gets none (RFC 9110 15.2)
// and only the final response. The backend is written by hand, so each byte is the test's.
// Node's http client reports each 1xx as an 'information' event.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { pino } from 'pino';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import { DataPlane } from '../../src/workers/data-plane.js';
import { route } from '../fixtures.js';
import { startHeadBackend, type HeadBackend } from '../helpers/head-backend.js';

const CSS = '</style.css>; rel=preload; as=style';
const JS = '</app.js>; rel=preload; as=script';

/** 102, then 103 with two links in one field and connection-specific fields, then 200 "ok"; one request per connection. */
const ANSWER =
  'HTTP/1.1 102 Processing\r\n\r\n' +
  `HTTP/1.1 103 Early Hints\r\nlink: ${CSS}, ${JS}\r\nx-hint: early\r\nconnection: x-private\r\nx-private: between backend and proxy\r\nkeep-alive: timeout=5\r\n\r\n` +
  'HTTP/1.1 103 Early Hints\r\nx-hint: no link, not sent\r\n\r\n' +
  'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok';

interface Interim {
  status: number;
  headers: http.IncomingHttpHeaders;
}

function get(port: number): Promise<{ interim: Interim[]; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const interim: Interim[] = [];
    const req = http.get({ host: '127.0.0.1', port, path: '/page', headers: { host: 'hints.test' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ interim, status: res.statusCode ?? 0, body }));
    });
    req.on('information', (info) => interim.push({ status: info.statusCode, headers: info.headers }));
    req.on('error', reject);
  });
}

/** Everything an HTTP/1.0 client reads for one GET, up to the connection's end. */
function getOverHttp10(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.write('GET /page HTTP/1.0\r\nHost: hints.test\r\n\r\n');
  });
}

describe('1xx over HTTP/1.1: interim answers from the backend reach the client before the response', () => {
  let backend: HeadBackend;
  let plane: DataPlane;
  let port: number;

  before(async () => {
    backend = await startHeadBackend((_head, socket) => socket.end(ANSWER));
    const out = compile({
      routes: [route('hints', { hosts: ['hints.test'], match: { path: '/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }], path: '/{rest}' }, http: { methods: ['GET'] } })],
      version: 1,
    });
    plane = new DataPlane({ logger: pino({ level: 'silent' }), metrics: new Metrics({ defaultMetrics: false }), affinityKey: randomAffinityKey() });
    port = (await plane.listen({ host: '127.0.0.1', port: 0 }, undefined)).proxy.port;
    plane.setTable(out.table, undefined);
  });

  after(async () => {
    await plane.stop();
    await backend.close();
  });

  test('102 and 103 in order; each link on its own, the hint kept, no connection-specific field; a 103 without a link is not sent; then the 200', async () => {
    const a = await get(port);
    assert.deepEqual(
      a.interim.map((i) => i.status),
      [102, 103],
    );
    const hints = a.interim[1]!.headers;
    assert.equal(hints.link, `${CSS}, ${JS}`);
    assert.equal(hints['x-hint'], 'early');
    for (const name of ['connection', 'keep-alive', 'x-private']) assert.equal(hints[name], undefined, name);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'ok');
  });

  test('an HTTP/1.0 client gets no 1xx: the first bytes it reads are the final response', async () => {
    const text = await getOverHttp10(port);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(text, / 10[23] /);
    assert.ok(text.endsWith('\r\n\r\nok'), text);
  });
});
