// The log is written off the hot path (src/logger.ts: asynchronous, lines logged while a write is
// in flight leave together), and none of it may go: every access-log line of a burst of
// connections arrives whole, and what is still buffered when the process exits is flushed.

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
    const log = createLogger('info');
    for (let i = 0; i < ${lines}; i++) log.info({ i, pad: 'x'.repeat(200) }, 'line');
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
