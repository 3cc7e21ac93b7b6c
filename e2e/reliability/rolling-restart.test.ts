// Rolling restart: two standalone wsgate replicas behind HAProxy on loopback (health checks on
// each replica's /readyz). One replica gets SIGTERM (short --shutdown-grace): /readyz fails at
// once so HAProxy stops sending it new connections, its clients get 1001 one after another,
// spread evenly over the grace (so they reconnect at a bounded rate, printed per step), and
// reconnect through HAProxy to the other replica; it is restarted on the same ports, then the
// other one goes through the same. No client may see a close code other than 1001 (and 1000
// for its own close), every client reconnects and no message is lost: the clients re-send what
// was unanswered at the close, and every echo is checked in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { haproxyAvailable, startHaproxy, type Haproxy } from './lib/haproxy.js';
import { startEchoProc, startGate, tempDir, type EchoProc, type GateProc } from './lib/procs.js';
import { ep, writeRoutes } from './lib/routes.js';
import { Fleet, report, type SeqClient } from './lib/seq-client.js';

const CLIENTS = 400;
const GRACE_MS = 2000;

test('rolling restart of two replicas behind HAProxy: only 1001, everyone reconnects, nothing lost', { skip: !haproxyAvailable() && 'haproxy is not installed (e2e/reliability/setup.sh)' }, async () => {
  const started = performance.now();
  const dir = tempDir('wsgate-rel-roll-');
  const file = path.join(dir, 'routes.yaml');
  const backends: EchoProc[] = await Promise.all(['roll-a', 'roll-b'].map((n) => startEchoProc(n)));
  writeRoutes(file, [{ name: 'roll', spec: { match: { path: '/roll/{rest}' }, backend: { endpoints: backends.map(ep) } } }]);
  const args = ['standalone', '--config', file, '--shutdown-grace', String(GRACE_MS)];
  const replicas: GateProc[] = [];
  let ha: Haproxy | undefined;
  const fleet = new Fleet();
  let stopTraffic = () => {};
  try {
    replicas.push(await startGate(args, { dir }), await startGate(args, { dir }));
    const ports = replicas.map((r) => ({ proxy: r.proxyPort, admin: r.adminPort }));
    ha = await startHaproxy(dir, ports.map((p, i) => ({ name: `r${i + 1}`, port: p.proxy, checkPort: p.admin })));
    await ha.waitFor('r1', 'UP', 10000);
    await ha.waitFor('r2', 'UP', 10000);
    const url = `ws://127.0.0.1:${ha.port}/roll/room`;
    const reconnectOn = (code: number) => code === 1001;
    const clients: SeqClient[] = Array.from({ length: CLIENTS }, () => fleet.add({ url, reconnectOn, padding: 64 }));
    await fleet.connectAll(clients, 32);
    stopTraffic = fleet.startTraffic(200);
    await fleet.waitFor('traffic on every client', () => clients.every((c) => c.checked >= 2), 20000);

    const steps: Array<Record<string, unknown>> = [];
    for (const i of [0, 1]) {
      const name = `r${i + 1}`;
      const old = replicas[i]!;
      const held = (await old.metrics()).sum('wsgate_connections_active');
      const closesBefore = fleet.summary().closes['1001'] ?? 0;
      const stopped = performance.now();
      const exited = old.stop('SIGTERM', GRACE_MS + 15000);
      const markedDownMs = await ha.waitFor(name, 'DOWN', 5000);
      const exit = await exited;
      assert.equal(exit.code, 0, `${name} exits 0 after SIGTERM`);
      // Its clients got 1001 after the grace and are back, through HAProxy, on the other replica.
      await fleet.waitFor('every client open again', () => clients.every((c) => c.state === 'open' || c.state === 'failed'), 20000);
      const reconnectedMs = performance.now() - stopped;
      const moved = (fleet.summary().closes['1001'] ?? 0) - closesBefore;
      // The replica logs the spread it planned: n connections over the grace, n/grace per second.
      const spreadLine = /\{[^\n]*spread over the grace[^\n]*\}/.exec(old.log())?.[0];
      const spread = spreadLine ? (JSON.parse(spreadLine) as { connections: number; closesPerSecond: number }) : undefined;
      // Back on the same ports; HAProxy sees it ready and sends it new clients again.
      replicas[i] = await startGate(args, { dir, listen: `127.0.0.1:${ports[i]!.proxy}`, adminListen: `127.0.0.1:${ports[i]!.admin}` });
      const upMs = await ha.waitFor(name, 'UP', 10000);
      const fresh = Array.from({ length: 50 }, () => fleet.add({ url, reconnectOn, padding: 64 }));
      clients.push(...fresh);
      await fleet.connectAll(fresh, 16);
      const onRestarted = (await replicas[i]!.metrics()).sum('wsgate_connections_active');
      steps.push({ replica: name, held, markedDownMs: markedDownMs.toFixed(0), closed1001: moved, spreadClosesPerSecond: spread?.closesPerSecond, reconnectsPerSecond: (moved / (GRACE_MS / 1000)).toFixed(1), allBackMs: reconnectedMs.toFixed(0), upAfterRestartMs: upMs.toFixed(0), newOnRestarted: onRestarted });
    }
    const checkedBeforeEnd = clients.map((c) => c.checked);
    await fleet.waitFor('messages after the last restart', () => clients.every((c, k) => c.checked >= checkedBeforeEnd[k]! + 2), 20000);
    stopTraffic();
    await fleet.settle(20000);
    const s = fleet.summary();
    const perReplica = await Promise.all(replicas.map(async (r) => (await r.metrics()).sum('wsgate_connections_active')));

    for (const st of steps) report('rolling-restart step', st);
    report('rolling-restart connections', { clients: clients.length, open: s.open, perReplicaAtEnd: perReplica.join('/'), reconnects: s.reconnects });
    report('rolling-restart faults', { sigterms: 2, restarts: 2, graceMs: GRACE_MS });
    report('rolling-restart closes', { byCode: s.closes, own: s.ownCloses, failedUpgradeAttempts: s.failedAttempts, failedClients: s.failedClients });
    report('rolling-restart messages', { checked: s.checked, lost: s.lost, reordered: s.reordered, unansweredAtClose: s.inFlightAtClose, resent: s.resent, unanswered: s.unanswered });

    assert.deepEqual(Object.keys(s.closes).filter((code) => code !== '1001'), [], 'no close code other than 1001');
    assert.ok((s.closes['1001'] ?? 0) >= CLIENTS, 'clients of both replicas were moved');
    assert.equal(s.open, clients.length, 'every client is connected at the end');
    assert.equal(s.failedClients, 0);
    assert.equal(s.lost, 0, 'lost messages');
    assert.equal(s.reordered, 0, 'reordered messages');
    assert.equal(s.unanswered, 0, 'unanswered messages');
    report('rolling-restart runtime', { seconds: ((performance.now() - started) / 1000).toFixed(1) });
  } catch (err) {
    if (ha) console.log(`# haproxy log tail:\n${ha.log().slice(-2000)}`);
    for (const r of replicas) console.log(`# wsgate ${r.pid} log tail:\n${r.log().slice(-1500)}`);
    throw err;
  } finally {
    stopTraffic();
    await fleet.stopAll();
    await ha?.stop();
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    await Promise.all(backends.map((b) => b.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
