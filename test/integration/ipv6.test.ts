// IPv6 on ::1: the proxy and admin listeners bound on [::1] (what the chart's listenAddress "::"
// gives, on loopback), an upgrade over IPv6 with the IPv6 client in X-Forwarded-For, Forwarded and
// the access log, and a Gateway socket bound on ::1.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { GatewaySocketBinder } from '../../src/proxy/gateway-socket-binder.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { rawUpgradeHello } from '../helpers/raw-ws.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

function get(host: string, port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: pathname, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** wsgate (proxy and admin on `listen`) with one route to an echo backend, for a describe block. */
function echoBehind(listen: string): () => WsgateChild {
  let backend: EchoServer;
  let gw: WsgateChild;
  before(async () => {
    backend = await startEchoServer({ name: 'b' });
    const file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(file, routesYaml([{ name: 'echo', spec: { match: { path: '/echo' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] } } }]));
    gw = await startWsgate(['standalone', '--config', file], { listen, adminListen: listen });
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });
  return () => gw;
}

describe('wsgate on [::1]', () => {
  const wsgate = echoBehind('[::1]:0');

  test('an upgrade over IPv6: 101, the client ::1 in X-Forwarded-For, X-Real-IP, Forwarded and the access log', async () => {
    const logged = wsgate().waitForLog(/"client":"::1"[^\n]*"msg":"connection closed"/);
    const r = await rawUpgradeHello(wsgate().proxyPort, upgradeRequest('/echo'), 5000, { host: '::1' });
    assert.equal(r.status, 101);
    assert.equal(r.hello?.headers['x-forwarded-for'], '::1');
    assert.equal(r.hello?.headers['x-real-ip'], '::1');
    assert.match(String(r.hello?.headers['forwarded']), /for="\[::1\]"/);
    await logged;
  });

  test('the admin port answers on ::1', async () => {
    assert.equal((await get('::1', wsgate().adminPort, '/healthz')).status, 200);
    assert.match((await get('::1', wsgate().adminPort, '/metrics')).body, /^# HELP wsgate_/m);
  });

  test('IPv4 clients do not reach a listener bound on ::1 only (the bind is the address asked for)', async () => {
    await assert.rejects(get('127.0.0.1', wsgate().adminPort, '/healthz'), /ECONNREFUSED/);
  });
});

describe('wsgate on [::] (dual-stack, the chart\'s listenAddress "::")', () => {
  const wsgate = echoBehind('[::]:0');

  test('IPv4 and IPv6 clients on one socket; an IPv4 client is 127.0.0.1 (not ::ffff:127.0.0.1) to the backend', async () => {
    const v4 = await rawUpgradeHello(wsgate().proxyPort, upgradeRequest('/echo'), 5000, { host: '127.0.0.1' });
    assert.equal(v4.status, 101);
    assert.equal(v4.hello?.headers['x-forwarded-for'], '127.0.0.1');
    const v6 = await rawUpgradeHello(wsgate().proxyPort, upgradeRequest('/echo'), 5000, { host: '::1' });
    assert.equal(v6.hello?.headers['x-forwarded-for'], '::1');
    assert.equal((await get('127.0.0.1', wsgate().adminPort, '/healthz')).status, 200);
    assert.equal((await get('::1', wsgate().adminPort, '/healthz')).status, 200);
  });
});

/** Gateway sockets whose servers answer with the peer's family and address. */
function peerSockets(): { sockets: GatewaySocketBinder; servers: http.Server[] } {
  const servers: http.Server[] = [];
  const sockets = new GatewaySocketBinder({
    log: pino({ level: 'silent' }),
    serverFor: () => {
      const s = http.createServer((req, res) => res.end(`${req.socket.remoteFamily} ${req.socket.remoteAddress}`));
      servers.push(s);
      return s;
    },
    retire: () => {},
    tlsHandshakeTimeoutMs: 5000,
  });
  return { sockets, servers };
}

describe('a Gateway socket on ::1', () => {
  test('binds the IPv6 address of its spec and serves requests there, with the IPv6 peer', async () => {
    const { sockets, servers } = peerSockets();
    try {
      await sockets.sync([{ key: 'gw-v6', address: '::1', port: 0, protocol: 'HTTP', certificates: [] }]);
      const bound = sockets.address('gw-v6')!;
      assert.equal(bound.address, '::1');
      assert.deepEqual(await get('::1', bound.port, '/'), { status: 200, body: 'IPv6 ::1' });
    } finally {
      await sockets.stopAccepting();
      for (const s of servers) s.closeAllConnections();
    }
  });

  test('a shared-address socket on :: (what planSockets gives under an IPv6 --listen) takes IPv4 clients too', async () => {
    const { sockets, servers } = peerSockets();
    try {
      await sockets.sync([{ key: '*:0', address: '::', port: 0, protocol: 'HTTP', certificates: [] }]);
      const { port } = sockets.address('*:0')!;
      assert.deepEqual(await get('::1', port, '/'), { status: 200, body: 'IPv6 ::1' });
      assert.deepEqual(await get('127.0.0.1', port, '/'), { status: 200, body: 'IPv6 ::ffff:127.0.0.1' });
    } finally {
      await sockets.stopAccepting();
      for (const s of servers) s.closeAllConnections();
    }
  });
});
