// Overload protection through real wsgate processes (issue 23): --max-connections across two
// worker threads with the readiness marks, and the memory overload manager driven by a fake
// cgroup directory (--cgroup-root) whose files the test writes: no real memory pressure.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { eventually } from '../helpers/eventually.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect, type OpenClient } from '../helpers/ws-client.js';
import { cliPath, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

async function upgradeStatus(url: string): Promise<{ status: number; retryAfter?: string }> {
  try {
    const c = await connect(url);
    await c.close();
    return { status: 101 };
  } catch (err) {
    const e = err as { status?: number; headers?: Record<string, string> };
    if (e.status === undefined) throw err;
    return { status: e.status, ...(e.headers?.['retry-after'] !== undefined ? { retryAfter: e.headers['retry-after'] } : {}) };
  }
}

async function readyz(gw: WsgateChild): Promise<number> {
  return (await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status;
}

async function metric(gw: WsgateChild, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Waits until wsgate counts exactly `n` connections (closes reach it asynchronously). */
function connectionsAre(gw: WsgateChild, n: number): Promise<true> {
  return eventually(`wsgate_connections ${n}`, async () => (await metric(gw, 'wsgate_connections')) === n || undefined);
}

async function openMany(url: string, n: number, into: OpenClient[]): Promise<void> {
  // In batches: a few dozen handshakes at once, not hundreds.
  for (let i = 0; i < n; i += 25) {
    into.push(...(await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => connect(url)))));
  }
}

function routesFile(backend: EchoServer): string {
  const file = path.join(tempDir(), 'routes.yaml');
  fs.writeFileSync(file, routesYaml([{ name: 'chat', spec: { match: { path: '/chat' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] }, http: { methods: ['GET', 'POST'] } } }]));
  return file;
}

describe('--max-connections 200 over two workers', () => {
  let backend: EchoServer;
  let gw: WsgateChild;
  const open: OpenClient[] = [];

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
    gw = await startWsgate(['standalone', '--config', routesFile(backend), '--workers', '2', '--max-connections', '200', '--ready-high-water', '0.9', '--ready-low-water', '0.8', '--no-overload-manager']);
  });

  after(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await gw?.stop();
    await backend?.close();
  });

  test('the 201st upgrade gets 503 with Retry-After, plain requests are served, readiness turns at the marks, held connections are untouched', async () => {
    const url = `${gw.url}/chat`;
    assert.equal(await metric(gw, 'wsgate_max_connections'), 200);
    await openMany(url, 179, open);
    await connectionsAre(gw, 179);
    assert.equal(await readyz(gw), 200, 'below the high-water mark (180)');
    open.push(await connect(url));
    await connectionsAre(gw, 180);
    assert.equal(await readyz(gw), 503, 'at the high-water mark');
    await openMany(url, 20, open);
    await connectionsAre(gw, 200);

    const refused = await upgradeStatus(url);
    assert.deepEqual(refused, { status: 503, retryAfter: '5' });
    assert.equal(await metric(gw, 'wsgate_upgrades_total{namespace="",route="",result="max_connections",protocol="http/1.1"}'), 1);
    // A plain request takes no connection slot: it reaches the backend (which answers 426 to it).
    const plain = await fetch(`http://127.0.0.1:${gw.proxyPort}/chat`);
    assert.equal(plain.status, 426);
    assert.equal(await plain.text(), 'websocket only\n');

    // Every held connection still carries messages.
    const echoes = await Promise.all(open.map((c, i) => c.echo(`m${i}`)));
    assert.deepEqual(echoes, open.map((_, i) => `m${i}`));

    // Down to 170: between the marks, still not ready (hysteresis).
    await Promise.all(open.splice(170).map((c) => c.close()));
    await connectionsAre(gw, 170);
    assert.equal(await readyz(gw), 503, 'between the marks');
    // A slot is free again: an upgrade passes.
    assert.equal((await upgradeStatus(url)).status, 101);
    await Promise.all(open.splice(160).map((c) => c.close()));
    await connectionsAre(gw, 160);
    assert.equal(await readyz(gw), 200, 'at the low-water mark');
    assert.equal(await readyz(gw), 200);
    assert.match(gw.stderr(), /"workers":2/);
    // Each worker's event loop is measured, not only the main thread's.
    for (const thread of ['main', 'worker-0', 'worker-1']) {
      assert.notEqual(await metric(gw, `wsgate_event_loop_lag_seconds{thread="${thread}",stat="max"}`), undefined, thread);
    }
  });
});

describe('memory overload manager on a fake cgroup (v2)', () => {
  let backend: EchoServer;
  let gw: WsgateChild;
  let cgroup: string;
  const open: OpenClient[] = [];
  const setUsage = (bytes: number) => fs.writeFileSync(path.join(cgroup, 'memory.current'), `${bytes}\n`);

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
    cgroup = tempDir('wsgate-cgroup-');
    fs.writeFileSync(path.join(cgroup, 'memory.max'), '1000000000\n');
    fs.writeFileSync(path.join(cgroup, 'memory.stat'), 'anon 1\ninactive_file 0\n');
    setUsage(500_000_000);
    gw = await startWsgate([
      'standalone', '--config', routesFile(backend), '--cgroup-root', cgroup, '--overload-check-interval', '100ms',
      '--overload-refuse-at', '0.9', '--overload-shed-at', '0.95', '--overload-shed-per-second', '10', '--overload-max-body', '1024',
    ]);
  });

  after(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await gw?.stop();
    await backend?.close();
  });

  test('refuses above the first threshold, closes the newest with 1013 above the second, counted', async () => {
    const url = `${gw.url}/chat`;
    // Derived from the fake limit: (0.8 x 1e9 - 168 MiB) / 24 KiB (no TLS listener).
    assert.equal(await metric(gw, 'wsgate_max_connections'), Math.floor((0.8e9 - 168 * 2 ** 20) / 24576));
    for (let i = 0; i < 8; i++) open.push(await connect(url));
    const codes = open.map((c) => new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code))));
    const closed: number[] = [];
    open.forEach((c, i) => c.ws.once('close', () => closed.push(i)));

    setUsage(920_000_000);
    await eventually('state refusing', async () => (await metric(gw, 'wsgate_overload_state')) === 1 || undefined);
    assert.deepEqual(await upgradeStatus(url), { status: 503, retryAfter: '5' });
    const big = await fetch(`http://127.0.0.1:${gw.proxyPort}/chat`, { method: 'POST', body: 'x'.repeat(4096) });
    assert.equal(big.status, 503);
    assert.equal(big.headers.get('retry-after'), '5');
    await big.text();
    const small = await fetch(`http://127.0.0.1:${gw.proxyPort}/chat`, { method: 'POST', body: 'x'.repeat(100) });
    assert.equal(small.status, 426, 'a small body still reaches the backend');
    await small.text();
    // Refusing closes nothing.
    assert.deepEqual(await Promise.all(open.map((c, i) => c.echo(`r${i}`))), open.map((_, i) => `r${i}`));
    assert.deepEqual(closed, []);

    setUsage(960_000_000);
    await eventually('two connections shed', () => closed.length >= 2 || undefined);
    setUsage(500_000_000);
    await eventually('state normal', async () => (await metric(gw, 'wsgate_overload_state')) === 0 || undefined);
    // Newest first: what was closed is the newest of the eight; the oldest are kept.
    const n = closed.length;
    assert.ok(n >= 2 && n <= 5, `closed ${n}`);
    assert.deepEqual([...closed].sort((a, b) => b - a), Array.from({ length: n }, (_, k) => 7 - k));
    for (let i = 0; i < n; i++) assert.equal(await codes[7 - i], 1013);
    const kept = open.slice(0, 8 - n);
    assert.deepEqual(await Promise.all(kept.map((c, i) => c.echo(`k${i}`))), kept.map((_, i) => `k${i}`));
    assert.equal((await upgradeStatus(url)).status, 101, 'accepting again');

    assert.equal(await metric(gw, 'wsgate_overload_actions_total{action="refuse_upgrade"}'), 1);
    assert.equal(await metric(gw, 'wsgate_overload_actions_total{action="refuse_body"}'), 1);
    assert.equal(await metric(gw, 'wsgate_overload_actions_total{action="close_connection"}'), n);
    assert.equal(await metric(gw, 'wsgate_closes_total{namespace="default",route="chat",code="1013"}'), n);
    assert.equal(await metric(gw, 'wsgate_lifecycle_closes_total{namespace="default",route="chat",reason="overload"}'), n);
    assert.match(gw.stderr(), /memory overload state changed/);
    open.splice(8 - n);
  });
});

test('overload flags that contradict each other: one clear line, exit 1, nothing started', () => {
  for (const [flags, message] of [
    [['--ready-low-water', '0.95'], '--ready-low-water (0.95) must be below --ready-high-water (0.9)'],
    [['--overload-refuse-at', '0.9', '--overload-shed-at', '0.5'], '--overload-shed-at (0.5) must not be below --overload-refuse-at (0.9)'],
    [['--ready-high-water', '1.5'], '"1.5" is not a fraction in (0, 1]'],
  ] as const) {
    const r = spawnSync(process.execPath, [cliPath, 'standalone', '--config', '/nonexistent.yaml', ...flags], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.split('\n')[0]!.includes(message), r.stderr.split('\n')[0]);
  }
});
