// Real `ws` clients through a real `wsgate standalone` process to real `ws` echo backends.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { startBlackhole } from '../helpers/blackhole.js';
import { rawRequest, upgradeRequest } from '../helpers/raw-http.js';
import { runCli } from '../helpers/wsgate-child.js';
import { connect, expectStatus, type OpenClient } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';
import { routesYaml } from '../helpers/routes-yaml.js';

describe('standalone data plane', () => {
  let backends: EchoServer[] = [];
  let gw: WsgateChild;
  let configFile: string;

  const baseRoutes = () =>
    routesYaml([
      {
        name: 'chat',
        spec: {
          match: { path: '/gateway/{catchAll}' },
          backend: { endpoints: backends.slice(0, 3).map((b) => ({ host: '127.0.0.1', port: b.port })), path: '/{catchAll}' },
        },
      },
      {
        name: 'rooms',
        spec: {
          match: { path: '/rooms/{room}/live' },
          backend: { endpoints: [{ host: '127.0.0.1', port: backends[0]!.port }], path: '/live/{room}' },
        },
      },
      {
        name: 'by-host',
        spec: {
          hosts: ['chat.example.com'],
          match: { path: '/gateway/{catchAll}' },
          backend: { endpoints: [{ host: '127.0.0.1', port: backends[3]!.port }] },
        },
      },
      {
        name: 'graphql',
        spec: {
          match: { path: '/api', subprotocols: ['graphql-transport-ws'] },
          backend: { endpoints: [{ host: '127.0.0.1', port: backends[3]!.port }] },
        },
      },
      {
        name: 'api-plain',
        spec: {
          match: { path: '/api' },
          backend: { endpoints: [{ host: '127.0.0.1', port: backends[0]!.port }] },
        },
      },
      {
        name: 'empty',
        spec: { match: { path: '/nobody' }, backend: { service: { name: 'needs-controller', port: 80 } } },
      },
    ]);

  before(async () => {
    backends = await Promise.all(['b1', 'b2', 'b3', 'b4'].map((name) => startEchoServer({ name })));
    configFile = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(configFile, baseRoutes());
    gw = await startWsgate(['standalone', '--config', configFile]);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  test('path routing with rewrite keeps the query string', async () => {
    const c = await connect(`${gw.url}/gateway/room1/sub?token=abc&x=%20`);
    assert.equal(c.hello.path, '/room1/sub?token=abc&x=%20');
    assert.equal(await c.echo('hello'), 'hello');
    await c.close();
    const r = await connect(`${gw.url}/rooms/42/live`);
    assert.equal(r.hello.backend, 'b1');
    assert.equal(r.hello.path, '/live/42');
    await r.close();
  });

  test('host routing: the exact host route wins over the any-host route', async () => {
    const c = await connect(`${gw.url}/gateway/x`, { headers: { Host: 'Chat.Example.com:443' } });
    assert.equal(c.hello.backend, 'b4');
    assert.equal(c.hello.path, '/gateway/x');
    await c.close();
  });

  test('subprotocol routing picks the route that offers the protocol', async () => {
    const g = await connect(`${gw.url}/api`, { protocols: ['graphql-transport-ws'] });
    assert.equal(g.hello.backend, 'b4');
    assert.equal(g.ws.protocol, 'graphql-transport-ws');
    await g.close();
    const p = await connect(`${gw.url}/api`);
    assert.equal(p.hello.backend, 'b1');
    await p.close();
  });

  test('X-Forwarded headers are set by wsgate, not taken from the client', async () => {
    const c = await connect(`${gw.url}/gateway/x`, { headers: { 'X-Forwarded-For': '6.6.6.6' } });
    assert.equal(c.hello.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(c.hello.headers['x-forwarded-proto'], 'http');
    await c.close();
  });

  test('balances across three endpoints (least connections)', async () => {
    const clients: OpenClient[] = [];
    for (let i = 0; i < 30; i++) clients.push(await connect(`${gw.url}/gateway/balance`));
    const counts: Record<string, number> = {};
    for (const c of clients) counts[c.hello.backend] = (counts[c.hello.backend] ?? 0) + 1;
    assert.deepEqual(counts, { b1: 10, b2: 10, b3: 10 });
    await Promise.all(clients.map((c) => c.close()));
  });

  test('answers: 404 no route, 503 no endpoints, 426/400/405/431 bad handshakes, 426 plain HTTP', async () => {
    assert.equal(await expectStatus(`${gw.url}/nowhere`), 404);
    assert.equal(await expectStatus(`${gw.url}/nobody`), 503);

    const version = await rawRequest(gw.proxyPort, upgradeRequest('/gateway/x', { 'Sec-WebSocket-Version': '8' }));
    assert.equal(version.status, 426);
    assert.equal(version.headers['sec-websocket-version'], '13');
    assert.equal((await rawRequest(gw.proxyPort, upgradeRequest('/gateway/x', { 'Sec-WebSocket-Key': null }))).status, 400);
    assert.equal((await rawRequest(gw.proxyPort, upgradeRequest('/gateway/x', { 'Sec-WebSocket-Key': 'short' }))).status, 400);
    const post = await rawRequest(gw.proxyPort, upgradeRequest('/gateway/x', {}, 'POST'));
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET');
    assert.equal((await rawRequest(gw.proxyPort, upgradeRequest('/gateway/../admin'))).status, 400);
    assert.equal((await rawRequest(gw.proxyPort, upgradeRequest('/gateway/%2e%2e/admin'))).status, 400);
    assert.equal((await rawRequest(gw.proxyPort, upgradeRequest('/gateway/x', { 'X-Big': 'a'.repeat(20000) }))).status, 431);
    const dupHost = upgradeRequest('/gateway/x').replace('Host: localhost\r\n', 'Host: a\r\nHost: b\r\n');
    assert.equal((await rawRequest(gw.proxyPort, dupHost)).status, 400);
    assert.equal((await rawRequest(gw.proxyPort, 'GARBAGE\r\n\r\n')).status, 400);

    const plain = await rawRequest(gw.proxyPort, 'GET /gateway/x HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.equal(plain.status, 426);
    assert.equal(plain.headers.upgrade, 'websocket');
    const plainMissing = await rawRequest(gw.proxyPort, 'GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.equal(plainMissing.status, 404);

    // After all of that the process still serves.
    const c = await connect(`${gw.url}/gateway/still-alive`);
    await c.close();
  });

  test('admin listener: healthz, readyz, metrics and the route table', async () => {
    const admin = `http://127.0.0.1:${gw.adminPort}`;
    assert.equal((await fetch(`${admin}/healthz`)).status, 200);
    assert.equal((await fetch(`${admin}/readyz`)).status, 200);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /wsgate_upgrades_total\{namespace="default",route="chat",result="ok",protocol="http\/1\.1"\} \d+/);
    assert.match(metrics, /wsgate_upgrades_total\{namespace="",route="",result="no_route",protocol="http\/1\.1"\} \d+/);
    assert.match(metrics, /wsgate_routes\{state="accepted"\} 6/);
    const routes = (await (await fetch(`${admin}/debug/routes`)).json()) as { routes: Array<{ key: string }> };
    assert.ok(routes.routes.some((r) => r.key === 'default/chat'));
  });
});

describe('standalone backend failures', () => {
  test('a refused endpoint is skipped for the next one; all refused gives 502', async () => {
    const live = await startEchoServer({ name: 'live' });
    const dead = await startEchoServer({ name: 'dead' });
    const deadPort = dead.port;
    await dead.close();
    const file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'mixed',
          spec: {
            match: { path: '/mixed' },
            loadBalancer: { policy: 'RoundRobin' },
            backend: { endpoints: [{ host: '127.0.0.1', port: deadPort }, { host: '127.0.0.1', port: live.port }] },
          },
        },
        { name: 'dead', spec: { match: { path: '/dead' }, backend: { endpoints: [{ host: '127.0.0.1', port: deadPort }] } } },
      ]),
    );
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      for (let i = 0; i < 4; i++) {
        const c = await connect(`${gw.url}/mixed`);
        assert.equal(c.hello.backend, 'live');
        await c.close();
      }
      assert.equal(await expectStatus(`${gw.url}/dead`), 502);
    } finally {
      await gw.stop();
      await live.close();
    }
  });
});

describe('connect timeout', () => {
  test('an endpoint that never answers the TCP handshake gives 504 after timeouts.connect', async () => {
    const hole = await startBlackhole();
    const file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([
        {
          name: 'slow',
          spec: { match: { path: '/slow' }, timeouts: { connect: '300ms' }, backend: { endpoints: [{ host: '127.0.0.1', port: hole.port }] } },
        },
      ]),
    );
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      assert.equal(await expectStatus(`${gw.url}/slow`), 504);
      const metrics = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
      assert.match(metrics, /wsgate_upgrades_total\{namespace="default",route="slow",result="timeout",protocol="http\/1\.1"\} 1/);
    } finally {
      await gw.stop();
      await hole.close();
    }
  });
});

describe('wsgate validate', () => {
  test('exits 0 on a good file and 1 with one line per problem naming file, line and field', async () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.yaml');
    fs.writeFileSync(good, routesYaml([{ name: 'ok', spec: { match: { path: '/ok' }, backend: { endpoints: [{ host: '127.0.0.1', port: 1 }] } } }]));
    const ok = await runCli(['validate', good]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /1 file\(s\), 1 route\(s\): valid/);

    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      routesYaml([
        { name: 'ok', spec: { match: { path: '/ok' }, backend: { endpoints: [{ host: '127.0.0.1', port: 1 }] } } },
        { name: 'two', spec: { match: { path: 'nope' }, backend: { endpoints: [{ host: '127.0.0.1', port: 1 }] }, timeouts: { idle: 'soon' } } },
      ]),
    );
    const res = await runCli(['validate', good, bad]);
    assert.equal(res.code, 1);
    const lines = res.stderr.trim().split('\n');
    const pathLine = fs.readFileSync(bad, 'utf8').split('\n').findIndex((l) => l.includes('path: nope')) + 1;
    assert.ok(lines.some((l) => l.startsWith(`${bad}:${pathLine}: document 2: spec.match.path: `)), res.stderr);
    assert.ok(lines.some((l) => l.includes('document 2: spec.timeouts.idle: ')), res.stderr);
    assert.match(lines.at(-1)!, /problem\(s\) found/);
  });
});
