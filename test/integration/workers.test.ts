// `wsgate standalone --workers 2`: two event loops on one port, one control plane, counters
// shared across the workers. Real child processes, real clients; which worker the kernel hands a
// connection to is its choice (reusePort hashing), so every check spreads over many connections
// and reads what each worker did from /debug/routes or the workers' log lines.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { eventually } from '../helpers/eventually.js';
import { routesYaml, writeRoutes, type RouteDoc } from '../helpers/routes-yaml.js';
import { connect, expectStatus, type OpenClient } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

interface DebugRoutes {
  version: number;
  workers?: Array<{ index: number; version: number; connections: number; endpoints: Record<string, number> }>;
  routes: Array<{ key: string; security?: { activeConnections: number }; endpoints: Array<{ id: string; active: number }> }>;
}

async function debugRoutes(gw: WsgateChild): Promise<DebugRoutes> {
  return (await (await fetch(`http://127.0.0.1:${gw.adminPort}/debug/routes`)).json()) as DebugRoutes;
}

async function metrics(gw: WsgateChild): Promise<string> {
  return (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
}

/** The workers that logged a line with this message since `from` (stderr offset). */
function workersLogging(gw: WsgateChild, msg: RegExp, from = 0): Set<number> {
  const out = new Set<number>();
  for (const line of gw.stderr().slice(from).split('\n')) {
    if (!line.startsWith('{')) continue;
    const l = JSON.parse(line) as { msg?: string; worker?: number };
    if (l.worker !== undefined && l.msg !== undefined && msg.test(l.msg)) out.add(l.worker);
  }
  return out;
}

async function closeAll(clients: OpenClient[]): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.close()));
}

describe('--workers 2', () => {
  let a: EchoServer;
  let b: EchoServer;
  let c: EchoServer;
  let gw: WsgateChild;
  let file: string;
  const routes = (): RouteDoc[] => {
    const endpoints = [
      { host: '127.0.0.1', port: a.port },
      { host: '127.0.0.1', port: b.port },
    ];
    const three = [...endpoints, { host: '127.0.0.1', port: c.port }];
    return [
      { name: 'rr', spec: { match: { path: '/rr' }, backend: { endpoints: three }, loadBalancer: { policy: 'RoundRobin' } } },
      { name: 'lc3', spec: { match: { path: '/lc3' }, backend: { endpoints: three } } },
      { name: 'lc', spec: { match: { path: '/lc' }, backend: { endpoints } } },
      { name: 'capped', spec: { match: { path: '/capped' }, backend: { endpoints }, limits: { maxConnections: 10 } } },
      { name: 'per-client', spec: { match: { path: '/per-client' }, backend: { endpoints }, limits: { maxConnectionsPerClient: 3 } } },
      { name: 'rate', spec: { match: { path: '/rate' }, backend: { endpoints }, limits: { upgradesPerSecondPerClient: 0.01 } } },
      { name: 'sticky', spec: { match: { path: '/sticky' }, backend: { endpoints: three }, loadBalancer: { policy: 'RoundRobin' }, sessionAffinity: { cookie: {} } } },
    ];
  };

  before(async () => {
    a = await startEchoServer({ name: 'a' });
    b = await startEchoServer({ name: 'b' });
    c = await startEchoServer({ name: 'c' });
    file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(file, routesYaml(routes()));
    gw = await startWsgate(['standalone', '--config', file, '--workers', '2', '--shutdown-grace', '500']);
    // Ready only once both workers serve the first table.
    await eventually('readyz', async () => (await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status === 200);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([a?.close(), b?.close(), c?.close()]);
  });

  test('one listening line; both workers accept, and least connections stays balanced across them: 200 -> 100/100', async () => {
    assert.equal(gw.stderr().match(/"msg":"listening"/g)?.length, 1);
    const clients: OpenClient[] = [];
    try {
      for (let i = 0; i < 200; i++) clients.push(await connect(`${gw.url}/lc`));
      assert.equal(a.clients.size, 100);
      assert.equal(b.clients.size, 100);
      const d = await debugRoutes(gw);
      assert.equal(d.workers?.length, 2);
      const perWorker = d.workers!.map((w) => w.connections);
      assert.equal(perWorker[0]! + perWorker[1]!, 200);
      assert.ok(perWorker.every((n) => n > 0), `both workers took connections: ${perWorker.join('/')}`);
      assert.deepEqual(d.routes.find((r) => r.key === 'default/lc')!.endpoints.map((e) => e.active), [100, 100]);
      // One scrape counts both workers' connections in one series; process metrics appear once.
      const text = await metrics(gw);
      assert.match(text, /^wsgate_connections_active\{namespace="default",route="lc"\} 200$/m);
      assert.equal(text.match(/^process_cpu_user_seconds_total /gm)?.length, 1);
      const ups = /^wsgate_upgrades_total\{namespace="default",route="lc",result="ok",protocol="http\/1\.1"\} (\d+)$/m.exec(text);
      assert.equal(ups?.[1], '200');
    } finally {
      await closeAll(clients);
    }
    await eventually('connections released', async () => (await debugRoutes(gw)).routes.find((r) => r.key === 'default/lc')!.endpoints.every((e) => e.active === 0) || undefined);
  });

  // Whichever worker the kernel hands each connection to, the picks continue one rotation per
  // route (the cursor is shared): with a cursor per worker the two workers' rotations interleave.
  for (const [path, policy] of [
    ['/rr', 'RoundRobin'],
    ['/lc3', 'LeastConnections tie-breaks'],
  ] as const) {
    test(`${policy} across workers: 30 sequential connections over 3 endpoints follow one exact rotation`, async () => {
      const clients: OpenClient[] = [];
      try {
        for (let i = 0; i < 30; i++) clients.push(await connect(`${gw.url}${path}`));
        const order = clients.map((cl) => cl.hello.backend);
        assert.equal(new Set(order.slice(0, 3)).size, 3, order.join(','));
        assert.deepEqual(order, order.map((_, i) => order[i % 3]), `one rotation: ${order.join(',')}`);
        const d = await debugRoutes(gw);
        assert.ok(d.workers!.every((w) => w.connections > 0), `both workers took connections: ${d.workers!.map((w) => w.connections).join('/')}`);
      } finally {
        await closeAll(clients);
      }
    });
  }

  // No --affinity-key-file: the process makes one random key and hands it to every worker. With a
  // key per worker, the worker that did not sign the cookie would see it as stale and rotate.
  test('session affinity without a key file: a cookie signed by one worker is honoured by the other (one random key per process)', async () => {
    const clients: OpenClient[] = [];
    try {
      const first = await connect(`${gw.url}/sticky`);
      clients.push(first);
      const cookie = first.setCookie.find((c) => c.startsWith('wsgate-affinity='))?.split(';')[0];
      assert.ok(cookie, `the 101 carries the affinity cookie: ${first.setCookie.join(' | ')}`);
      for (let i = 0; i < 30; i++) clients.push(await connect(`${gw.url}/sticky`, { headers: { Cookie: cookie } }));
      assert.deepEqual(new Set(clients.map((cl) => cl.hello.backend)), new Set([first.hello.backend]), 'every connection on the cookie\'s backend');
      const d = await debugRoutes(gw);
      assert.ok(d.workers!.every((w) => w.connections > 0), `both workers took connections: ${d.workers!.map((w) => w.connections).join('/')}`);
      assert.match(await metrics(gw), /^wsgate_affinity_total\{namespace="default",route="sticky",result="hit"\} 30$/m);
    } finally {
      await closeAll(clients);
    }
  });

  test('maxConnections: 10 holds across workers: every further upgrade gets 503, whichever worker takes it', async () => {
    const clients: OpenClient[] = [];
    const from = gw.stderr().length;
    try {
      for (let i = 0; i < 10; i++) clients.push(await connect(`${gw.url}/capped`));
      for (let i = 0; i < 30; i++) assert.equal(await expectStatus(`${gw.url}/capped`), 503, `attempt ${i}`);
      await eventually('refusals logged', () => workersLogging(gw, /connection limit/, from).size === 2 || undefined);
      assert.equal((await debugRoutes(gw)).routes.find((r) => r.key === 'default/capped')!.security!.activeConnections, 10);
      await clients.pop()!.close();
      await eventually('a slot is free again', async () => (await debugRoutes(gw)).routes.find((r) => r.key === 'default/capped')!.security!.activeConnections === 9 || undefined);
      clients.push(await connect(`${gw.url}/capped`));
      assert.equal(await expectStatus(`${gw.url}/capped`), 503);
    } finally {
      await closeAll(clients);
    }
  });

  test('maxConnectionsPerClient: 3 holds across workers (429), and frees as connections close', async () => {
    const clients: OpenClient[] = [];
    const from = gw.stderr().length;
    try {
      for (let i = 0; i < 3; i++) clients.push(await connect(`${gw.url}/per-client`));
      for (let i = 0; i < 30; i++) assert.equal(await expectStatus(`${gw.url}/per-client`), 429, `attempt ${i}`);
      await eventually('refusals logged by both workers', () => workersLogging(gw, /too many connections from this client/, from).size === 2 || undefined);
      await closeAll(clients);
      await eventually('released', async () => (await debugRoutes(gw)).routes.find((r) => r.key === 'default/per-client')!.security!.activeConnections === 0 || undefined);
      for (let i = 0; i < 3; i++) clients.push(await connect(`${gw.url}/per-client`));
    } finally {
      await closeAll(clients);
    }
  });

  test('upgradesPerSecondPerClient: one bucket per client across workers', async () => {
    const from = gw.stderr().length;
    // Burst 1, one token per 100 s: the first upgrade passes, every later one is refused.
    assert.equal(await expectStatus(`${gw.url}/rate`), 101);
    for (let i = 0; i < 30; i++) assert.equal(await expectStatus(`${gw.url}/rate`), 429, `attempt ${i}`);
    await eventually('refusals logged by both workers', () => workersLogging(gw, /too many requests from this client/, from).size === 2 || undefined);
  });

  test('a reload swaps the table in both workers and closes nothing', async () => {
    const clients: OpenClient[] = [];
    try {
      for (let i = 0; i < 20; i++) clients.push(await connect(`${gw.url}/lc`));
      const before = (await debugRoutes(gw)).version;
      writeRoutes(file, [...routes(), { name: 'added', spec: { match: { path: '/added' }, backend: { endpoints: [{ host: '127.0.0.1', port: a.port }] } } }]);
      const d = await eventually('both workers on the new table', async () => {
        const r = await debugRoutes(gw);
        return r.version > before && r.workers!.every((w) => w.version === r.version) ? r : undefined;
      });
      assert.equal(d.workers!.length, 2);
      for (const c of clients) assert.equal(await c.echo('still here'), 'still here');
      // Whichever worker takes them, new upgrades see the new route.
      for (let i = 0; i < 20; i++) clients.push(await connect(`${gw.url}/added`));
      assert.equal(clients.filter((c) => c.ws.readyState === c.ws.OPEN).length, 40);
    } finally {
      await closeAll(clients);
    }
  });
});

test('--workers 2: SIGTERM drains both workers (readyz 503 at once, 1001 after the grace) and exits 0', async () => {
  const echo = await startEchoServer({ name: 'e' });
  const file = path.join(tempDir(), 'routes.yaml');
  fs.writeFileSync(file, routesYaml([{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [{ host: '127.0.0.1', port: echo.port }] } } }]));
  const gw = await startWsgate(['standalone', '--config', file, '--workers', '2', '--shutdown-grace', '300']);
  try {
    await eventually('readyz', async () => (await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status === 200);
    const clients: OpenClient[] = [];
    for (let i = 0; i < 30; i++) clients.push(await connect(`${gw.url}/r`));
    const d = await debugRoutes(gw);
    assert.ok(d.workers!.every((w) => w.connections > 0), `both workers hold connections: ${d.workers!.map((w) => w.connections).join('/')}`);
    const codes = clients.map((c) => new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code))));
    const exit = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
    gw.child.kill('SIGTERM');
    await eventually('readyz 503', async () => (await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status === 503);
    assert.deepEqual(new Set(await Promise.all(codes)), new Set([1001]));
    assert.equal(await exit, 0);
    assert.equal(workersLogging(gw, /worker shutting down/).size, 2);
  } finally {
    await gw.stop();
    await echo.close();
  }
});
