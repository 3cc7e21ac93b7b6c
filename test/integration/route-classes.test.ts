// Route classes in standalone mode: two real `wsgate standalone` processes read one route file,
// each with its own --class; each serves only its class (the default install also the routes
// with no class), reports the others in its log, and has no metric series for them.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { scrapeMetrics } from '../helpers/metrics-scrape.js';
import { reloadRoutes, routesYaml, type RouteDoc } from '../helpers/routes-yaml.js';
import { connect, expectStatus } from '../helpers/ws-client.js';
import { runCli, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

describe('route classes (standalone)', () => {
  let backend: EchoServer;
  let internal: WsgateChild;
  let external: WsgateChild;
  let configFile: string;

  const route = (name: string, className?: string): RouteDoc => ({
    name,
    spec: {
      ...(className ? { className } : {}),
      match: { path: `/${name}` },
      backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] },
    },
  });
  const routes = (plainClass?: string) => [route('own', 'internal'), route('other', 'external'), route('plain', plainClass)];

  before(async () => {
    backend = await startEchoServer({ name: 'b1' });
    configFile = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(configFile, routesYaml(routes()));
    internal = await startWsgate(['standalone', '--config', configFile, '--class', 'internal', '--no-default-class']);
    external = await startWsgate(['standalone', '--config', configFile, '--class', 'external']);
  });

  after(async () => {
    await internal?.stop();
    await external?.stop();
    await backend?.close();
  });

  test('each install serves its own class; only the default one serves routes with no class', async () => {
    const c = await connect(`${internal.url}/own`);
    assert.equal(c.hello.path, '/own');
    await c.close();
    assert.equal(await expectStatus(`${internal.url}/other`), 404);
    assert.equal(await expectStatus(`${internal.url}/plain`), 404);
    assert.equal(await expectStatus(`${external.url}/own`), 404);
    assert.equal(await expectStatus(`${external.url}/other`), 101);
    assert.equal(await expectStatus(`${external.url}/plain`), 101);
  });

  test('routes of another class are reported in the log, not refused', async () => {
    const text = internal.stderr().split('\n').find((l) => l.includes('routes of another class left alone'));
    assert.ok(text, 'log line about the routes of another class');
    const line = JSON.parse(text) as { className: string; routes: string[] };
    assert.equal(line.className, 'internal');
    assert.deepEqual(line.routes, ['default/other', 'default/plain']);
    assert.doesNotMatch(internal.stderr(), /route file refused/);
  });

  test('no metric series for another class', async () => {
    const text = await scrapeMetrics(internal);
    assert.match(text, /wsgate_endpoints\{[^}]*route="own"/);
    assert.doesNotMatch(text, /route="other"/);
    assert.doesNotMatch(text, /route="plain"/);
    assert.match(text, /^wsgate_routes\{state="accepted"\} 1$/m);
  });

  test('a reload that gives a route this class serves it', async () => {
    // Both processes watch the one file: wait for both tables before asking either.
    const externalSwapped = external.waitForLog(/routing table updated/);
    await reloadRoutes(internal, configFile, routes('internal'));
    await externalSwapped;
    assert.equal(await expectStatus(`${internal.url}/plain`), 101);
    assert.equal(await expectStatus(`${external.url}/plain`), 404);
  });

  test('--class refuses a name that cannot be a class', async () => {
    const r = await runCli(['standalone', '--config', configFile, '--class', 'Internal_1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--class.*"Internal_1" must be a DNS subdomain/);
  });
});
