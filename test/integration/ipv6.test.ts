// IPv6 on ::1: the proxy and admin listeners bound on [::1] (what the chart's listenAddress "::"
// gives, on loopback), an upgrade over IPv6 with the IPv6 client in X-Forwarded-For, Forwarded and
// the access log, and a Gateway socket bound on ::1. IPv6 clients grouped by --client-ipv6-prefix
// for per-client limits and sourceIP hashing: loopback has one IPv6 address, so the clients
// (fd00::...) arrive the way a balancer hands them over, in PROXY headers from ::1.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { GatewaySocketBinder } from '../../src/proxy/gateway-socket-binder.js';
import { proxyV1, proxyV2 } from '../helpers/proxy-header.js';
import { upgradeRequest } from '../helpers/raw-http.js';
import { rawUpgradeHello, type RawUpgradeResult } from '../helpers/raw-ws.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { runCli, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

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

describe('IPv6 clients grouped by prefix (--client-ipv6-prefix), on a listener on [::1]', () => {
  let b1: EchoServer;
  let b2: EchoServer;
  /** The default prefix, /64. */
  let by64: WsgateChild;
  /** --client-ipv6-prefix 128: each address is a client. */
  let by128: WsgateChild;

  before(async () => {
    [b1, b2] = await Promise.all([startEchoServer({ name: 'b1' }), startEchoServer({ name: 'b2' })]);
    const file = path.join(tempDir(), 'routes.yaml');
    const one = [{ host: '127.0.0.1', port: b1.port }];
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'limited', spec: { match: { path: '/limited' }, backend: { endpoints: one }, limits: { maxConnectionsPerClient: 1 } } },
        {
          name: 'hashed',
          spec: { match: { path: '/hashed' }, backend: { endpoints: [...one, { host: '127.0.0.1', port: b2.port }] }, loadBalancer: { policy: 'ConsistentHash', hashOn: { sourceIP: true } } },
        },
      ]),
    );
    const args = ['standalone', '--config', file, '--proxy-protocol', '::1'];
    [by64, by128] = await Promise.all([
      startWsgate(args, { listen: '[::1]:0', adminListen: '[::1]:0' }),
      startWsgate([...args, '--client-ipv6-prefix', '128'], { listen: '[::1]:0', adminListen: '[::1]:0' }),
    ]);
  });

  after(async () => {
    await Promise.all([by64?.stop(), by128?.stop()]);
    await Promise.all([b1?.close(), b2?.close()]);
  });

  /** An upgrade from ::1 whose PROXY header carries `client`. */
  const from = (gw: WsgateChild, route: string, client: string, keepOpen = false) =>
    rawUpgradeHello(gw.proxyPort, upgradeRequest(route), 5000, { host: '::1', prefix: proxyV2({ src: client }), keepOpen });

  /** Runs `body` with the connections it opens destroyed afterwards, whatever happens. */
  async function holding(body: (hold: (r: RawUpgradeResult) => RawUpgradeResult) => Promise<void>): Promise<void> {
    const open: RawUpgradeResult[] = [];
    try {
      await body((r) => (open.push(r), r));
    } finally {
      for (const r of open) r.socket.destroy();
    }
  }

  test('/64: maxConnectionsPerClient counts fd00::1 and fd00::2 as one client; fd00:0:0:1::1 is another; headers and log keep the full address', async () => {
    await holding(async (hold) => {
      const logged = by64.waitForLog(/"client":"fd00::2"[^\n]*"msg":"upgrade refused: too many connections from this client"/);
      const first = hold(await from(by64, '/limited', 'fd00::1', true));
      assert.equal(first.status, 101);
      assert.equal(first.hello?.headers['x-forwarded-for'], 'fd00::1');
      assert.match(String(first.hello?.headers['forwarded']), /for="\[fd00::1\]"/);
      assert.equal((await from(by64, '/limited', 'fd00::2')).status, 429);
      await logged;
      const other = hold(await from(by64, '/limited', 'fd00:0:0:1::1', true));
      assert.equal(other.status, 101);
      assert.equal(other.hello?.headers['x-forwarded-for'], 'fd00:0:0:1::1');
    });
  });

  test('/128: fd00::1 and fd00::2 are two clients', async () => {
    await holding(async (hold) => {
      assert.equal(hold(await from(by128, '/limited', 'fd00::1', true)).status, 101);
      assert.equal(hold(await from(by128, '/limited', 'fd00::2', true)).status, 101);
      assert.equal((await from(by128, '/limited', 'fd00::1')).status, 429);
    });
  });

  test('IPv4-mapped IPv6 is the IPv4 client: ::ffff:203.0.113.5 and 203.0.113.5 hold one slot', async () => {
    await holding(async (hold) => {
      const mapped = hold(await from(by64, '/limited', '::ffff:cb00:7105', true));
      assert.equal(mapped.status, 101);
      assert.equal(mapped.hello?.headers['x-forwarded-for'], '203.0.113.5');
      const v4 = await rawUpgradeHello(by64.proxyPort, upgradeRequest('/limited'), 5000, { host: '::1', prefix: proxyV1('203.0.113.5', 4000, '127.0.0.1') });
      assert.equal(v4.status, 429);
      // In the same IPv4 /24 but another address: its own client (no prefix applies to IPv4).
      assert.equal((await from(by64, '/limited', '::ffff:cb00:7106')).status, 101);
    });
  });

  test('sourceIP hashing: the addresses of one /64 reach one backend; at /128 they spread over both', async () => {
    const backendOf = async (gw: WsgateChild, client: string) => (await from(gw, '/hashed', client)).hello?.backend;
    const clients = Array.from({ length: 16 }, (_, i) => `fd00:0:0:9::${(i + 1).toString(16)}`);
    const grouped = new Set<string | undefined>();
    const each = new Set<string | undefined>();
    for (const c of clients) {
      grouped.add(await backendOf(by64, c));
      each.add(await backendOf(by128, c));
    }
    assert.equal(grouped.size, 1, `one backend for the /64, got ${[...grouped].join(', ')}`);
    // Fixed addresses and a fixed hash: deterministic; the chance 16 hash to one side is 2^-15.
    assert.deepEqual([...each].sort(), ['b1', 'b2']);
  });
});

describe('--client-ipv6-prefix', () => {
  test('a value outside 0..128 stops wsgate at start with one line naming it, exit 1', async () => {
    for (const bad of ['129', '64.5', 'all']) {
      const r = await runCli(['standalone', '--config', 'unused.yaml', '--client-ipv6-prefix', bad]);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, new RegExp(`^error: option '--client-ipv6-prefix <bits>' argument '${bad.replace('.', '\\.')}' is invalid\\. "[^"]+" is not an IPv6 prefix length \\(0 to 128\\)`), bad);
    }
  });
});
