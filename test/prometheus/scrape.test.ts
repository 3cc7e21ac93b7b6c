// A real Prometheus server (Debian's package) scrapes a running wsgate; its HTTP API must
// report the active connections that are really open.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startEchoServer } from '../../examples/echo-server.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect, type OpenClient } from '../helpers/ws-client.js';
import { startWsgate, tempDir } from '../helpers/wsgate-child.js';

/** Prometheus cannot report a kernel-chosen port, so take a free one just before starting it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function query(promPort: number, expr: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
  const v = body.data?.result?.[0]?.value?.[1];
  return v === undefined ? undefined : Number(v);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Debian's package, installed by test/prometheus/setup.sh (make test-unit). */
function hasPrometheus(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d !== '' && fs.existsSync(path.join(d, 'prometheus')));
}
const skip = !hasPrometheus() && process.env.CI !== 'true' ? 'prometheus is not installed (bash test/prometheus/setup.sh)' : false;

test('Prometheus scrapes wsgate and sees the open connections', { skip }, async () => {
  assert.ok(hasPrometheus(), 'CI=true needs prometheus: test/prometheus/setup.sh installs it');
  const echo = await startEchoServer({ name: 'e' });
  const dir = tempDir('wsgate-prom-');
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, routesYaml([{ name: 'chat', spec: { match: { path: '/chat' }, backend: { endpoints: [{ host: '127.0.0.1', port: echo.port }] } } }]));
  const gw = await startWsgate(['standalone', '--config', file]);
  const promPort = await freePort();
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: wsgate\n    static_configs: [{ targets: ['127.0.0.1:${gw.adminPort}'] }]\n`,
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let promLog = '';
  prom.stderr!.on('data', (c: Buffer) => (promLog += c.toString()));
  // A spawn that fails emits 'error' and maybe never 'exit': either ends the wait.
  const promExited = new Promise<void>((resolve) => {
    prom.once('exit', () => resolve());
    prom.once('error', (err) => {
      promLog += `\nspawn prometheus: ${err.message}`;
      resolve();
    });
  });
  const clients: OpenClient[] = [];
  try {
    await until('the wsgate target up', async () => (await query(promPort, 'up{job="wsgate"}')) === 1).catch((err: Error) => {
      throw new Error(`${err.message}\n${promLog.slice(-2000)}`);
    });
    for (let i = 0; i < 7; i++) clients.push(await connect(`${gw.url}/chat`));
    const active = 'wsgate_connections_active{namespace="default",route="chat"}';
    await until('7 active connections in Prometheus', async () => (await query(promPort, active)) === 7);
    await Promise.all(clients.splice(0, 3).map((c) => c.close()));
    await until('4 active connections in Prometheus', async () => (await query(promPort, active)) === 4);
    const upgrades = await query(promPort, 'sum(wsgate_upgrades_total{route="chat",result="ok"})');
    assert.equal(upgrades, 7);
    assert.equal(await query(promPort, active), 4);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    prom.kill('SIGTERM');
    await promExited;
    await gw.stop();
    await echo.close();
  }
});
