// Origin checks, connection limits, upgrade rate limits, client identity behind trusted proxies
// and the handshake timeout, through real wsgate processes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect, expectStatus, upgradeOutcome, type OpenClient } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

const statusAndHeaders = (url: string, headers: Record<string, string> = {}) => upgradeOutcome(url, { headers });

/** Waits (bounded) until wsgate counts `n` connections on the route: closes are seen asynchronously. */
async function routeConnections(gw: WsgateChild, key: string, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const body = (await (await fetch(`http://127.0.0.1:${gw.adminPort}/debug/routes`)).json()) as { routes: Array<{ key: string; security?: { activeConnections: number } }> };
    if (body.routes.find((r) => r.key === key)?.security?.activeConnections === n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`route ${key} never had ${n} connections`);
}

describe('security: origin, limits, client identity, handshake timeout', () => {
  let backend: EchoServer;
  let gw: WsgateChild;
  let trusted: WsgateChild;

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
    const endpoints = [{ host: '127.0.0.1', port: backend.port }];
    const file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'origin', spec: { match: { path: '/origin' }, backend: { endpoints }, security: { allowedOrigins: ['https://app.example.com', 'https://*.example.org'], allowMissingOrigin: false } } },
        { name: 'origin-open', spec: { match: { path: '/origin-open' }, backend: { endpoints }, security: { allowedOrigins: ['https://app.example.com'] } } },
        { name: 'limited', spec: { match: { path: '/limited' }, backend: { endpoints }, limits: { maxConnections: 3, maxConnectionsPerClient: 2 } } },
        { name: 'rate', spec: { match: { path: '/rate' }, backend: { endpoints }, limits: { upgradesPerSecondPerClient: 0.5 } } },
      ]),
    );
    gw = await startWsgate(['standalone', '--config', file, '--handshake-timeout', '500ms']);
    trusted = await startWsgate(['standalone', '--config', file, '--trusted-proxies', '127.0.0.1/32,10.0.0.0/8']);
  });

  after(async () => {
    await Promise.all([gw?.stop(), trusted?.stop()]);
    await backend?.close();
  });

  test('origin: listed and wildcard origins pass, others get 403; a missing Origin follows allowMissingOrigin', async () => {
    assert.equal(await expectStatus(`${gw.url}/origin`, { headers: { Origin: 'https://app.example.com' } }), 101);
    assert.equal(await expectStatus(`${gw.url}/origin`, { headers: { Origin: 'https://chat.example.org' } }), 101);
    for (const o of ['https://evil.example.com', 'http://app.example.com', 'https://example.org', 'null']) {
      assert.equal(await expectStatus(`${gw.url}/origin`, { headers: { Origin: o } }), 403, o);
    }
    assert.equal(await expectStatus(`${gw.url}/origin`), 403);
    assert.equal(await expectStatus(`${gw.url}/origin-open`), 101);
    assert.equal(await expectStatus(`${gw.url}/origin-open`, { headers: { Origin: 'https://evil.example.com' } }), 403);
  });

  test('maxConnectionsPerClient: 429 for the same client; without trusted proxies X-Forwarded-For changes nothing', async () => {
    const open: OpenClient[] = [];
    open.push(await connect(`${gw.url}/limited`, { headers: { 'X-Forwarded-For': '198.51.100.1' } }));
    open.push(await connect(`${gw.url}/limited`, { headers: { 'X-Forwarded-For': '198.51.100.2' } }));
    const r = await statusAndHeaders(`${gw.url}/limited`, { 'X-Forwarded-For': '198.51.100.3' });
    assert.deepEqual([r.status, r.headers['retry-after']], [429, '1']);
    await open.pop()!.close();
    await routeConnections(gw, 'default/limited', 1);
    open.push(await connect(`${gw.url}/limited`));
    await Promise.all(open.map((c) => c.close()));
    await routeConnections(gw, 'default/limited', 0);
  });

  test('behind a trusted proxy each X-Forwarded-For client has its own count; maxConnections gives 503', async () => {
    const open: OpenClient[] = [];
    const as = (ip: string) => ({ headers: { 'X-Forwarded-For': `${ip}, 10.0.0.7` } });
    open.push(await connect(`${trusted.url}/limited`, as('198.51.100.1')));
    open.push(await connect(`${trusted.url}/limited`, as('198.51.100.1')));
    assert.equal(await expectStatus(`${trusted.url}/limited`, as('198.51.100.1')), 429);
    open.push(await connect(`${trusted.url}/limited`, as('198.51.100.2')));
    const full = await statusAndHeaders(`${trusted.url}/limited`, as('198.51.100.3').headers);
    assert.deepEqual([full.status, full.headers['retry-after']], [503, '1']);
    await open.shift()!.close();
    await routeConnections(trusted, 'default/limited', 2);
    assert.equal(await expectStatus(`${trusted.url}/limited`, as('198.51.100.3')), 101);
    await Promise.all(open.map((c) => c.close()));
  });

  test('upgradesPerSecondPerClient: a burst over the rate gets 429 with Retry-After; other clients are not affected', async () => {
    assert.equal(await expectStatus(`${gw.url}/rate`), 101);
    const limited = await statusAndHeaders(`${gw.url}/rate`);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '2');
    const as = (ip: string) => ({ 'X-Forwarded-For': ip });
    assert.equal((await statusAndHeaders(`${trusted.url}/rate`, as('203.0.113.1'))).status, 101);
    assert.equal((await statusAndHeaders(`${trusted.url}/rate`, as('203.0.113.1'))).status, 429);
    assert.equal((await statusAndHeaders(`${trusted.url}/rate`, as('203.0.113.2'))).status, 101);
  });

  test('handshake timeout: a client that never finishes its request head gets 408 and is closed', async () => {
    const socket = net.connect(gw.proxyPort, '127.0.0.1');
    let data = '';
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.write('GET /limited HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n');
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    assert.match(data, /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - started < 5000);
    // A prompt client on the same process is unaffected.
    assert.equal(await expectStatus(`${gw.url}/origin-open`), 101);
  });
});
