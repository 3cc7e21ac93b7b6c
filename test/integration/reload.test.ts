// Reloading the route file swaps the table without closing anything; a broken file is refused
// with file, line and field while the last good table keeps serving.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { connect, expectStatus, type OpenClient } from '../helpers/ws-client.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

describe('route file reloads', () => {
  let a: EchoServer;
  let b: EchoServer;
  let gw: WsgateChild;
  let file: string;

  before(async () => {
    [a, b] = await Promise.all([startEchoServer({ name: 'a' }), startEchoServer({ name: 'b' })]);
    file = path.join(tempDir(), 'routes.yaml');
    fs.writeFileSync(
      file,
      routesYaml([{ name: 'r', spec: { match: { path: '/r/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: a.port }] } } }]),
    );
    gw = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await gw?.stop();
    await Promise.all([a.close(), b.close()]);
  });

  test('a reload under 500 open connections closes none of them', async () => {
    const clients: OpenClient[] = [];
    let closedEarly = 0;
    for (let i = 0; i < 500; i++) {
      const c = await connect(`${gw.url}/r/${i}`);
      c.ws.once('close', () => closedEarly++);
      clients.push(c);
    }
    assert.equal(a.clients.size, 500);

    const reloaded = gw.waitForLog(/routing table updated/);
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'r', spec: { match: { path: '/r/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: b.port }] } } },
        { name: 'new', spec: { match: { path: '/new' }, backend: { endpoints: [{ host: '127.0.0.1', port: b.port }] } } },
      ]),
    );
    await reloaded;

    // New connections follow the new table...
    const fresh = await connect(`${gw.url}/new`);
    assert.equal(fresh.hello.backend, 'b');
    const moved = await connect(`${gw.url}/r/x`);
    assert.equal(moved.hello.backend, 'b');
    await Promise.all([fresh.close(), moved.close()]);

    // ...and every old one still talks to its original backend.
    const echoes = await Promise.all(clients.map((c, i) => c.echo(`m${i}`)));
    echoes.forEach((e, i) => assert.equal(e, `m${i}`));
    assert.equal(closedEarly, 0);
    assert.equal(a.clients.size, 500);
    await Promise.all(clients.map((c) => c.close()));
  });

  test('a broken file is refused with file, line and field; the last good table keeps serving', async () => {
    const refused = gw.waitForLog(/route file refused/);
    const broken = routesYaml([
      { name: 'r', spec: { match: { path: '/r/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: b.port }] } } },
      { name: 'new', spec: { match: { path: '/new' }, backend: { endpoints: [{ host: '127.0.0.1', port: 99999 }] } } },
    ]);
    fs.writeFileSync(file, broken);
    await refused;
    const log = gw.stderr();
    const expectedLine = broken.split('\n').findIndex((l) => l.includes('99999')) + 1;
    assert.match(log, new RegExp(`routes\\.yaml:${expectedLine}: document 2: spec\\.backend\\.endpoints\\[0\\]\\.port`));

    const c = await connect(`${gw.url}/new`);
    assert.equal(c.hello.backend, 'b');
    await c.close();

    // A YAML syntax error is refused too, and the table is still the last good one.
    const refusedAgain = gw.waitForLog(/route file refused/);
    fs.writeFileSync(file, 'apiVersion: wsgate.io/v1alpha1\nkind: [unclosed\n');
    await refusedAgain;
    assert.equal(await expectStatus(`${gw.url}/new`), 101);

    const admin = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
    assert.match(admin, /wsgate_config_reloads_total\{result="failure"\} 2/);
    assert.match(admin, /wsgate_config_reloads_total\{result="success"\} 2/);
  });
});
