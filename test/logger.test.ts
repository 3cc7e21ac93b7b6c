// The log is written off the hot path (src/log/destination.ts: access-log lines leave in batches,
// by size or after a short interval, asynchronously; other lines at once, behind them), and none
// of it may go: every access-log line of a burst of connections arrives whole, a lone one arrives
// while the process runs, and what is still buffered when the process or a worker thread exits
// is flushed, in the order it was logged.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { eventually } from './helpers/eventually.js';
import { writeRoutes } from './helpers/routes-yaml.js';
import { repoRoot, startWsgate, tempDir, type WsgateChild } from './helpers/wsgate-child.js';

test('logger: lines logged right before process.exit are all written (flushed on exit)', async () => {
  const lines = 2000;
  // Each line is logged while earlier ones are still in flight, then the process exits at once.
  const script = `
    import { createLogger } from ${JSON.stringify(path.join(repoRoot, 'dist/src/logger.js'))};
    import { accessLogger } from ${JSON.stringify(path.join(repoRoot, 'dist/src/log/destination.js'))};
    const log = createLogger('info');
    const access = accessLogger(log);
    // Mostly access-log lines (batched), every 100th a line written at once behind them.
    for (let i = 0; i < ${lines}; i++) (i % 100 === 50 ? log : access).info({ i, pad: 'x'.repeat(200) }, 'line');
    process.exit(0);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0);
  const got = stderr.trim().split('\n').map((l) => JSON.parse(l) as { i: number; msg: string });
  assert.equal(got.length, lines);
  assert.deepEqual(got.map((l) => l.i), Array.from({ length: lines }, (_x, i) => i), 'every line, in order');
});

test('logger: lines a worker thread logs right before it exits all arrive (flushed on the worker\'s exit)', async () => {
  const lines = 2000;
  // The worker logs as src/workers/worker.ts and data-plane.ts do, then ends its thread at once;
  // its access-log lines behind the last full batch still wait then, and only the worker's
  // 'exit' flush writes them.
  const worker = `
    (async () => {
      const { pino } = await import(${JSON.stringify(path.join(repoRoot, 'node_modules/pino/pino.js'))});
      const { BatchedDestination, accessLogger } = await import(${JSON.stringify(path.join(repoRoot, 'dist/src/log/destination.js'))});
      const log = pino({ base: { worker: 1 } }, new BatchedDestination(2));
      const access = accessLogger(log);
      for (let i = 0; i < ${lines}; i++) (i % 100 === 50 ? log : access).info({ i, pad: 'x'.repeat(200) }, 'line');
      process.exit(0);
    })();
  `;
  const script = `
    import { Worker } from 'node:worker_threads';
    const w = new Worker(${JSON.stringify(worker)}, { eval: true });
    w.on('exit', (code) => process.exit(code));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, stderr.slice(0, 2000));
  const got = stderr.trim().split('\n').map((l) => JSON.parse(l) as { i: number; worker: number });
  assert.equal(got.length, lines);
  assert.deepEqual(got.map((l) => l.i), Array.from({ length: lines }, (_x, i) => i), 'every line, in order');
  assert.ok(got.every((l) => l.worker === 1));
});

test('logger: a lone access-log line of a process that keeps running is written within the batch interval', async () => {
  // One short access-log line never fills a batch: only the flush timer writes it while the process lives.
  const script = `
    import { createLogger } from ${JSON.stringify(path.join(repoRoot, 'dist/src/logger.js'))};
    import { accessLogger } from ${JSON.stringify(path.join(repoRoot, 'dist/src/log/destination.js'))};
    accessLogger(createLogger('info')).info({ lone: true }, 'lone line');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await eventually('the lone line on stderr', () => stderr.includes('"msg":"lone line"'));
    assert.equal(child.exitCode, null, 'written while the process still runs');
    const line = JSON.parse(stderr.trim()) as { app: string; level: number; lone: boolean };
    assert.deepEqual([line.app, line.level, line.lone], ['wsgate', 30, true], "the logger's bindings and level");
  } finally {
    child.kill();
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
});

let backend: WebSocketServer;
let gw: WsgateChild | undefined;

before(async () => {
  backend = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(backend, 'listening');
});

after(async () => {
  await gw?.stop();
  backend.close();
});

test('logger: a burst of connections gets one whole access-log line each', async () => {
  const dir = tempDir();
  const config = path.join(dir, 'routes.yaml');
  writeRoutes(config, [
    { name: 'burst', spec: { match: { path: '/ws' }, backend: { endpoints: [{ host: '127.0.0.1', port: (backend.address() as AddressInfo).port }] } } },
  ]);
  gw = await startWsgate(['standalone', '--config', config]);
  const count = 200;
  // All at once, then all closed: their close lines are logged close together.
  const clients = Array.from({ length: count }, () => new WebSocket(`${gw!.url}/ws`));
  await Promise.all(clients.map((ws) => once(ws, 'open')));
  await Promise.all(clients.map((ws) => (ws.close(1000), once(ws, 'close'))));
  const closedLines = () =>
    gw!
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"msg":"connection closed"'));
  await eventually(`${count} close lines`, () => closedLines().length === count);
  for (const l of closedLines()) {
    const entry = JSON.parse(l) as { route: string; closeCode: number };
    assert.equal(entry.route, 'default/burst');
    assert.equal(entry.closeCode, 1000);
  }
});
