// The access log and the per-endpoint metric series, seen from outside a real wsgate process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEchoServer } from '../../examples/echo-server.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, tempDir } from '../helpers/wsgate-child.js';

test('one JSON access-log line per closed connection, with every field', async () => {
  const echo = await startEchoServer({ name: 'e' });
  const file = path.join(tempDir(), 'routes.yaml');
  fs.writeFileSync(file, routesYaml([{ name: 'log', spec: { match: { path: '/log' }, backend: { endpoints: [{ host: '127.0.0.1', port: echo.port }] } } }]));
  const gw = await startWsgate(['standalone', '--config', file]);
  try {
    const c = await connect(`${gw.url}/log`, { headers: { 'X-Request-Id': 'trace-me-42' } });
    assert.equal(await c.echo('x'.repeat(1000)), 'x'.repeat(1000));
    const logged = gw.waitForLog(/\{[^\n]*"connection closed"[^\n]*\}/);
    c.ws.close(4001, 'done');
    const line = JSON.parse(await logged) as Record<string, unknown>;
    assert.equal(line.msg, 'connection closed');
    assert.equal(line.route, 'default/log');
    assert.equal(line.endpoint, `127.0.0.1:${echo.port}`);
    assert.equal(line.client, '127.0.0.1');
    assert.equal(line.requestId, 'trace-me-42');
    assert.equal(line.protocol, 'http/1.1');
    assert.equal(typeof line.durationSeconds, 'number');
    assert.ok((line.bytesUpstream as number) > 1000, 'client-to-backend bytes');
    assert.ok((line.bytesDownstream as number) > 1000, 'backend-to-client bytes');
    assert.equal(line.closeCode, 4001);
    assert.equal(line.reason, 'client');
    const metrics = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
    // The log keeps the exact code; the metric label is bounded (application codes 4000-4999 are one value).
    assert.match(metrics, /wsgate_upgrades_total\{namespace="default",route="log",result="ok",protocol="http\/1\.1"\} 1/);
    assert.match(metrics, /wsgate_closes_total\{namespace="default",route="log",code="4xxx"\} 1/);
  } finally {
    await gw.stop();
    await echo.close();
  }
});

test('per-endpoint series go away once the endpoint left the table and its last connection closed', async () => {
  const [a, b] = await Promise.all([startEchoServer({ name: 'a' }), startEchoServer({ name: 'b' })]);
  const file = path.join(tempDir(), 'routes.yaml');
  const write = (ports: number[]) =>
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'r', spec: { match: { path: '/r' }, drain: { timeout: '1h' }, backend: { endpoints: ports.map((port) => ({ host: '127.0.0.1', port })) } } },
      ]),
    );
  write([a.port, b.port]);
  const gw = await startWsgate(['standalone', '--config', file]);
  const series = async () =>
    (await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('wsgate_backend_connections_active{'));
  try {
    const onA = await connect(`${gw.url}/r`);
    const onB = await connect(`${gw.url}/r`);
    // Least connections put one on each; `held` is the one on a, and a leaves (it drains, 1 h).
    const held = onA.hello.backend === 'a' ? onA : onB;
    assert.equal(held.hello.backend, 'a');
    assert.equal((await series()).length, 2);
    const reloaded = gw.waitForLog(/routing table updated/);
    write([b.port]);
    await reloaded;
    const gone = a.port;
    assert.ok((await series()).some((l) => l.includes(`endpoint="127.0.0.1:${gone}"`)), 'kept while a connection is open');
    await held.close();
    // The close is seen by wsgate asynchronously: poll the scrape (bounded).
    for (let i = 0; i < 100 && (await series()).some((l) => l.includes(`:${gone}"`)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual((await series()).filter((l) => l.includes(`:${gone}"`)), []);
    assert.equal((await series()).length, 1);
    await (held === onA ? onB : onA).close();
  } finally {
    await gw.stop();
    await Promise.all([a.close(), b.close()]);
  }
});

test('/debug/memory reports process.memoryUsage(), after a full GC only when Node runs with --expose-gc', async () => {
  const file = path.join(tempDir(), 'routes.yaml');
  fs.writeFileSync(file, routesYaml([{ name: 'm', spec: { match: { path: '/m' }, backend: { endpoints: [{ host: '127.0.0.1', port: 9 }] } } }]));
  const gw = await startWsgate(['standalone', '--config', file]);
  try {
    const res = await fetch(`http://127.0.0.1:${gw.adminPort}/debug/memory`);
    assert.equal(res.status, 200);
    const m = (await res.json()) as Record<string, unknown>;
    assert.equal(m.gc, false);
    for (const k of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']) assert.equal(typeof m[k], 'number', k);
    assert.ok((m.heapUsed as number) > 0 && (m.rss as number) >= (m.heapUsed as number));
  } finally {
    await gw.stop();
  }
});
