// --h2c through a real `wsgate standalone` process: the plain listener takes HTTP/2 with prior
// knowledge beside HTTP/1.1 (plain requests and WebSocket upgrades), told apart by the preface,
// even when it arrives a byte at a time; a connection that never decides is dropped after the
// handshake timeout; without --h2c the preface is an HTTP/1.1 parse error.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classifyFirstBytes } from '../../src/proxy/h2c-detect.js';
import { FRAME, PREFACE, requestHeaders, settings } from '../helpers/h2-frames.js';
import { closeSession, h2Request } from '../helpers/h2-client.js';
import { plainRequest, startHttpBackend, type HelloBody, type HttpBackend } from '../helpers/http-backend.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

function h2cConnect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.once('remoteSettings', () => {
      session.off('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}

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
