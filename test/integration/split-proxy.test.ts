// `wsgate proxy` (split mode's data plane) as a real process, fed by a snapshot server in this
// test process standing in for `wsgate controller --no-proxy`: not ready before the first table,
// serving after it, serving on (held and new connections) while no controller is reachable,
// reporting it, and catching up when one is back. With one thread and with two workers.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { SnapshotServer } from '../../src/stream/server.js';
import type { StreamTls } from '../../src/stream/tls-files.js';
import type { TableSnapshot } from '../../src/workers/snapshot.js';
import { makeCa, streamTlsDir, type TestCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { connect, expectStatus } from '../helpers/ws-client.js';
import { startWsgate, type WsgateChild } from '../helpers/wsgate-child.js';
import { route } from '../fixtures.js';

const CONTROLLER = 'wsgate-controller.wsgate.svc';

async function metric(gw: WsgateChild, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} exported`);
  return Number(line.split(' ')[1]);
}

const readyz = async (gw: WsgateChild) => (await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status;

for (const workers of [1, 2]) {
  describe(`wsgate proxy --workers ${workers}, fed over the snapshot stream`, () => {
    let ca: TestCa;
    let controllerTls: StreamTls;
    let proxyDir: string;
    let echo: EchoServer;

    const table = (version: number, paths: string[]): TableSnapshot => ({
      version,
      routes: paths.map((p) => route(p, { match: { path: `/${p}` }, backend: { endpoints: [{ host: '127.0.0.1', port: echo.port }] } })),
      services: null,
      secrets: null,
    });
    const startController = (): SnapshotServer =>
      new SnapshotServer({ tls: controllerTls, clientName: 'wsgate-proxy', log: pino({ level: 'silent' }), heartbeatMs: 100 });

    before(async () => {
      ca = makeCa('split install');
      const c = ca.issue('wsgate-controller', [CONTROLLER], 'serverAuth,clientAuth');
      controllerTls = { ca: Buffer.from(ca.cert), cert: Buffer.from(c.cert), key: Buffer.from(c.key) };
      proxyDir = streamTlsDir(ca, ca.issue('wsgate-proxy', ['wsgate-proxy'], 'serverAuth,clientAuth'));
      echo = await startEchoServer({ name: 'echo', host: '127.0.0.1', port: 0 });
    });
    after(() => echo.close());

    test('not ready before the first table; serves it; keeps serving without a controller; catches up', async (t) => {
      let controller = startController();
      const { port } = await controller.listen('127.0.0.1', 0);
      const gw = await startWsgate([
        'proxy',
        '--controller',
        `127.0.0.1:${port}`,
        '--controller-name',
        CONTROLLER,
        '--snapshot-tls-dir',
        proxyDir,
        '--controller-timeout',
        '2s',
        '--reconnect-max',
        '300ms',
        '--workers',
        String(workers),
      ]);
      t.after(async () => {
        await gw.stop();
        await controller.close();
      });
      await eventually('the proxy connected', async () => (await metric(gw, 'wsgate_controller_connected')) === 1);
      assert.equal(await readyz(gw), 503, 'no table yet');

      controller.publish(table(1, ['chat']));
      await eventually('ready with the first table', async () => (await readyz(gw)) === 200);
      const held = await connect(`${gw.url}/chat`);
      assert.equal(await held.echo('one'), 'one');
      let closed = false;
      held.ws.once('close', () => (closed = true));

      // The controller goes away: the proxy says so, and serves on.
      await controller.close();
      await eventually('the proxy noticed', async () => (await metric(gw, 'wsgate_controller_connected')) === 0);
      assert.equal(await readyz(gw), 200, 'still ready: it has a table');
      assert.equal(await held.echo('two'), 'two');
      const fresh = await connect(`${gw.url}/chat`);
      assert.equal(await fresh.echo('new'), 'new');
      await fresh.close();
      const age = await metric(gw, 'wsgate_snapshot_age_seconds');
      await eventually('the snapshot age growing', async () => (await metric(gw, 'wsgate_snapshot_age_seconds')) >= age + 0.5, 100, 50);
      assert.equal(await expectStatus(`${gw.url}/late`), 404);

      // A controller is back (a new replica: its versions start at 1 again) with a new route.
      controller = startController();
      controller.publish(table(1, ['chat', 'late']));
      await controller.listen('127.0.0.1', port);
      await eventually('the new route served', async () => (await expectStatus(`${gw.url}/late`)) === 101);
      assert.equal(await metric(gw, 'wsgate_controller_connected'), 1);
      assert.ok((await metric(gw, 'wsgate_snapshot_age_seconds')) < 2);
      assert.equal(await held.echo('three'), 'three');
      assert.equal(closed, false, 'the held connection never closed');
      await held.close();
    });
  });
}
