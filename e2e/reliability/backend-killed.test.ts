// Backend killed: SIGKILL of one echo backend process while 300 clients are on it and ~600 on
// two others. Its clients must see their connections close promptly; their reconnections and
// fresh upgrades must succeed at once (a refused endpoint is ejected and the upgrade retried on
// another, so at most one failed attempt, invisible to the client); the other clients are
// untouched and keep echoing without a lost or reordered message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEchoProc, startGate, tempDir, waitForFds, type EchoProc, type GateProc } from './lib/procs.js';
import { ep, writeRoutes } from './lib/routes.js';
import { Fleet, percentile, report, type SeqClient } from './lib/seq-client.js';
import { eventually } from '../../test/helpers/eventually.js';

const PER_BACKEND = 300;

test('backend killed: its clients close promptly and reconnect elsewhere; the others are untouched', async () => {
  const started = performance.now();
  const dir = tempDir('wsgate-rel-kill-');
  const file = path.join(dir, 'routes.yaml');
  const backends: EchoProc[] = await Promise.all(['kill-a', 'kill-b', 'kill-c'].map((n) => startEchoProc(n)));
  writeRoutes(file, [
    {
      name: 'rel',
      spec: { match: { path: '/r/{rest}' }, timeouts: { connect: '2s' }, backend: { endpoints: backends.map(ep) } },
    },
  ]);
  let gw: GateProc | undefined;
  const fleet = new Fleet();
  let stopTraffic = () => {};
  try {
    gw = await startGate(['standalone', '--config', file, '--shutdown-grace', '2000'], { dir });
    const url = `${gw.url}/r/room`;
    const fdsBefore = gw.fds();
    const initial = Array.from({ length: PER_BACKEND * 3 }, () => fleet.add({ url, reconnectOn: () => true, maxAttempts: 10 }));
    await fleet.connectAll(initial, 32);
    const perBackend: Record<string, number> = {};
    for (const c of initial) perBackend[c.backend] = (perBackend[c.backend] ?? 0) + 1;
    // The victim: the backend holding the most clients (least connections spreads them evenly).
    const [victimName, victimCount] = Object.entries(perBackend).sort((a, b) => b[1] - a[1])[0]!;
    const victim = backends.find((b) => b.name === victimName)!;
    const victimId = `127.0.0.1:${victim.port}`;
    assert.ok(victimCount >= PER_BACKEND, `the victim holds ${victimCount} clients`);
    const victims = initial.filter((c) => c.backend === victimName);
    const others = initial.filter((c) => c.backend !== victimName);

    stopTraffic = fleet.startTraffic(500);
    // Traffic flows everywhere before the fault.
    await fleet.waitFor('traffic on every client', () => initial.every((c) => c.checked >= 2), 20000);
    const before = await gw.metrics();
    const othersCheckedAtKill = others.reduce((a, c) => a + c.checked, 0);

    const killedAt = performance.now();
    const exit = await victim.kill('SIGKILL');
    // The first refused reconnect ejects the endpoint for 1 s (then 2 s, 4 s ...): watch
    // /debug/routes from now on, so a slow machine (the reconnect storm taking longer than the
    // ejection) cannot make the check miss it.
    let ejectedNow: Record<string, unknown> = {};
    const sawEjected = eventually('the victim ejected in /debug/routes', async () => {
      const ejected = (await gw!.debugRoutes()).ejected as Record<string, unknown>;
      if (!(victimId in ejected)) return undefined;
      ejectedNow = ejected;
      return true;
    }, 400, 25).catch(() => false);
    assert.equal(exit.signal, 'SIGKILL');

    // Every victim sees its close; each reconnects at once (all 300 in the same instant).
    await fleet.waitFor('every victim closed', () => victims.every((c) => c.closes.length > 0), 15000);
    const closeMs = victims.map((c) => c.closes[0]!.at - killedAt);
    const victimCodes: Record<string, number> = {};
    for (const c of victims) victimCodes[c.closes[0]!.code] = (victimCodes[c.closes[0]!.code] ?? 0) + 1;
    await fleet.waitFor('every victim reconnected', () => victims.every((c) => c.state === 'open' || c.state === 'failed'), 20000);
    await sawEjected;

    // Fresh upgrades after the storm, one at a time over ~3 s: each must succeed on a live backend.
    const probes: SeqClient[] = [];
    for (let i = 0; i < 100; i++) {
      const p = fleet.add({ url, maxAttempts: 1 });
      probes.push(p);
      await p.connect();
      await new Promise((r) => setTimeout(r, 30));
    }
    await fleet.settle(20000);
    stopTraffic();
    await fleet.settle(20000);
    const after = await gw.metrics();

    const ejections = after.sum('wsgate_endpoint_ejections_total') - before.sum('wsgate_endpoint_ejections_total');
    const upgradesOk = after.sum('wsgate_upgrades_total', { result: 'ok' }) - before.sum('wsgate_upgrades_total', { result: 'ok' });
    const upgradesFailed =
      after.sum('wsgate_upgrades_total') - before.sum('wsgate_upgrades_total') - upgradesOk;
    const victimSummary = fleet.summary(victims);
    const otherSummary = fleet.summary(others);
    const probeSummary = fleet.summary(probes);
    const othersCheckedAfter = others.reduce((a, c) => a + c.checked, 0);

    report('backend-killed connections', { held: initial.length, perBackend, victim: victimName, victimClients: victims.length });
    report('backend-killed faults', { injected: `SIGKILL ${victimName} (pid ${victim.pid})`, ejections, ejectedAfterStorm: Object.keys(ejectedNow).join(',') || 'none' });
    report('backend-killed victim closes', {
      byCode: victimCodes,
      closeMsP50: percentile(closeMs, 50).toFixed(1),
      closeMsP99: percentile(closeMs, 99).toFixed(1),
      closeMsMax: Math.max(...closeMs).toFixed(1),
    });
    report('backend-killed reconnects', {
      victimsReconnected: victims.filter((c) => c.state === 'open').length,
      onVictimAfter: [...victims, ...probes].filter((c) => c.backend === victimName).length,
      clientVisibleFailedAttempts: victimSummary.failedAttempts + probeSummary.failedAttempts,
      probes: probes.length,
      probesOk: probes.filter((p) => p.state === 'open').length,
      upgradesOk,
      upgradesFailed,
    });
    report('backend-killed messages', {
      checked: fleet.summary().checked,
      othersEchoedAfterKill: othersCheckedAfter - othersCheckedAtKill,
      lost: fleet.summary().lost,
      reordered: fleet.summary().reordered,
      inFlightOnVictimAtKill: victimSummary.inFlightAtClose,
      resentAfterReconnect: victimSummary.resent,
      otherCloses: otherSummary.closes,
    });

    // Victims: all closed promptly (a bound, not a benchmark), all back on a live backend.
    assert.ok(Math.max(...closeMs) < 5000, `slowest victim close took ${Math.max(...closeMs).toFixed(0)} ms`);
    assert.equal(victims.filter((c) => c.state === 'open').length, victims.length, 'every victim reconnected');
    assert.equal(victimSummary.failedAttempts + probeSummary.failedAttempts, 0, 'no upgrade failed as seen by a client');
    assert.equal(upgradesFailed, 0, 'wsgate answered every upgrade after the kill with 101');
    assert.equal(upgradesOk, victims.length + probes.length);
    assert.equal([...victims, ...probes].filter((c) => c.backend === victimName).length, 0, 'nothing lands on the dead backend');
    assert.ok(ejections >= 1, 'the dead endpoint was ejected');
    assert.ok(ejections <= victims.length + probes.length, 'at most one failed attempt per upgrade');
    assert.ok(victimId in ejectedNow, `${victimId} shows as ejected in /debug/routes`);
    // Others: untouched, still echoing, nothing lost anywhere.
    assert.deepEqual(otherSummary.closes, {}, 'no other client was closed');
    assert.ok(othersCheckedAfter - othersCheckedAtKill >= others.length, 'the other clients kept echoing');
    const all = fleet.summary();
    assert.equal(all.lost, 0, 'lost messages');
    assert.equal(all.reordered, 0, 'reordered messages');
    assert.equal(all.unanswered, 0, 'unanswered messages');
    // Every client leaves: wsgate's sockets all close (no fd left behind by the dead backend's
    // connections) and a SIGTERM ends it at once, with nothing left to wait for.
    await fleet.stopAll();
    const fdsAfter = await waitForFds(gw.pid, fdsBefore, 10000);
    const stopStarted = performance.now();
    const exited = await gw.stop('SIGTERM', 20000);
    report('backend-killed teardown', { fdsBefore, fdsAfter, sigtermExit: exited.code ?? exited.signal, exitMs: (performance.now() - stopStarted).toFixed(0) });
    assert.equal(fdsAfter, fdsBefore, 'wsgate holds no socket once every client left');
    assert.equal(exited.code, 0, 'SIGTERM exits 0');
    report('backend-killed runtime', { seconds: ((performance.now() - started) / 1000).toFixed(1) });
  } catch (err) {
    if (gw) console.log(`# wsgate log tail:\n${gw.log().slice(-3000)}`);
    throw err;
  } finally {
    stopTraffic();
    await fleet.stopAll();
    await gw?.stop('SIGKILL');
    await Promise.all(backends.map((b) => b.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
