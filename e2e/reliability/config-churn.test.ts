// Config churn under load: 2,000 connections exchange sequence-numbered messages while routes
// and endpoints change 10 times a second for a minute: extra routes come and go, extra
// endpoints join and leave the routes in use, policies and timeouts change. No change removes
// an endpoint a client uses, so nothing may close, and no echo may be lost or reordered.
// wsgate coalesces file events into at most one reload per 100 ms, so the file is rewritten
// every 50 ms to have the table itself swapped about 10 times a second.
// WSGATE_CHURN_SECONDS shortens or lengthens the minute.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireFdLimit, startEchoProc, startGate, tempDir, type EchoProc, type GateProc } from './lib/procs.js';
import { ep, writeRoutes, type RouteDoc } from './lib/routes.js';
import { Fleet, report, type SeqClient } from './lib/seq-client.js';

const CONNECTIONS = 2000;
const SECONDS = Number(process.env.WSGATE_CHURN_SECONDS ?? 60);
/** File rewrites per second (about half become table swaps: see above). */
const REWRITES_PER_SECOND = 20;
const POLICIES = ['LeastConnections', 'RoundRobin', 'PowerOfTwoChoices'];

test(`config churn: ${CONNECTIONS} connections, ~10 table swaps/s for ${SECONDS} s, nothing lost`, async () => {
  requireFdLimit(2 * CONNECTIONS + 500);
  const started = performance.now();
  const dir = tempDir('wsgate-rel-churn-');
  const file = path.join(dir, 'routes.yaml');
  const [a, b, c, d] = (await Promise.all(['churn-a', 'churn-b', 'churn-c', 'churn-d'].map((n) => startEchoProc(n)))) as [EchoProc, EchoProc, EchoProc, EchoProc];
  // Change n of the table: the routes in use keep a and b (main) and b (side) throughout.
  const routesAt = (n: number): RouteDoc[] => {
    const extraEndpoints = [...(n % 2 === 1 ? [ep(c)] : []), ...(n % 3 === 1 ? [ep(d)] : [])];
    const extras: RouteDoc[] = Array.from({ length: n % 7 }, (_, k) => ({
      name: `extra-${k}`,
      spec: { match: { path: `/extra/${k}/{x}` }, backend: { endpoints: [ep([a, c, d][k % 3]!)] } },
    }));
    return [
      {
        name: 'main',
        spec: {
          match: { path: '/main/{rest}' },
          loadBalancer: { policy: n === 0 ? 'LeastConnections' : POLICIES[n % POLICIES.length] },
          timeouts: { connect: `${1 + (n % 5)}s` },
          drain: { timeout: `${5 + (n % 10)}s` },
          backend: { endpoints: [ep(a), ep(b), ...extraEndpoints] },
        },
      },
      {
        name: 'side',
        spec: { match: { path: '/side' }, timeouts: { idle: `${10 + (n % 3)}m` }, backend: { endpoints: [ep(b)] } },
      },
      ...extras,
    ];
  };
  writeRoutes(file, routesAt(0));
  let gw: GateProc | undefined;
  const fleet = new Fleet();
  let stopTraffic = () => {};
  let churnTimer: NodeJS.Timeout | undefined;
  try {
    gw = await startGate(['standalone', '--config', file], { dir });
    const held: SeqClient[] = Array.from({ length: CONNECTIONS }, (_, i) =>
      fleet.add({ url: i % 4 === 0 ? `${gw!.url}/side` : `${gw!.url}/main/c${i}`, padding: 32 }),
    );
    await fleet.connectAll(held, 64);
    const perBackend: Record<string, number> = {};
    for (const cl of held) perBackend[cl.backend] = (perBackend[cl.backend] ?? 0) + 1;
    stopTraffic = fleet.startTraffic(1000, 50, held);
    await fleet.waitFor('traffic on every connection', () => held.every((cl) => cl.checked >= 1), 30000);
    const before = await gw.metrics();

    // The churn: one rewrite every 50 ms; meanwhile fresh upgrades on the side route.
    let changes = 0;
    const churnDone = new Promise<void>((resolve) => {
      churnTimer = setInterval(() => {
        changes++;
        writeRoutes(file, routesAt(changes));
        if (changes >= SECONDS * REWRITES_PER_SECOND) {
          clearInterval(churnTimer);
          resolve();
        }
      }, 1000 / REWRITES_PER_SECOND);
    });
    const probes: SeqClient[] = [];
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        const p = fleet.add({ url: `${gw!.url}/side`, maxAttempts: 1 });
        probes.push(p);
        if (await p.connect()) {
          p.send();
          await fleet.waitFor('probe echo', () => p.unanswered === 0, 10000);
          await p.stop();
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await churnDone;
    probing = false;
    await probeLoop;
    // Let the last write be reloaded, then check the table is the last one written.
    const last = routesAt(changes);
    const expectMain = (last[0]!.spec.backend as { endpoints: Array<{ host: string; port: number }> }).endpoints.map((e) => `${e.host}:${e.port}`).sort();
    const deadline = performance.now() + 5000;
    let table = await gw.debugRoutes();
    const mainIds = () => table.routes.find((r) => r.key === 'default/main')?.endpoints.map((e) => e.id).sort() ?? [];
    while ((table.routes.length !== last.length || JSON.stringify(mainIds()) !== JSON.stringify(expectMain)) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      table = await gw.debugRoutes();
    }
    await new Promise((r) => setTimeout(r, 1000)); // a second of traffic on the final table
    stopTraffic();
    await fleet.settle(20000, held);
    const after = await gw.metrics();

    const s = fleet.summary(held);
    const reloadsOk = after.sum('wsgate_config_reloads_total', { result: 'success' }) - before.sum('wsgate_config_reloads_total', { result: 'success' });
    const reloadsFailed = after.sum('wsgate_config_reloads_total', { result: 'failure' }) - before.sum('wsgate_config_reloads_total', { result: 'failure' });
    const probeSummary = fleet.summary(probes);
    report('config-churn connections', { held: held.length, perBackend, open: s.open });
    report('config-churn faults', {
      fileRewrites: changes,
      tableSwaps: reloadsOk,
      swapsPerSecond: (reloadsOk / SECONDS).toFixed(1),
      reloadsRefused: reloadsFailed,
      tableVersion: table.version,
      finalRoutes: table.routes.length,
    });
    report('config-churn closes', { unexpected: s.closes, lifecycle: after.by('wsgate_lifecycle_closes_total', 'reason') });
    report('config-churn messages', { checked: s.checked, lost: s.lost, reordered: s.reordered, unanswered: s.unanswered });
    report('config-churn upgrades during churn', { attempted: probes.length, ok: probes.filter((p) => p.connects === 1).length, echoed: probeSummary.checked });

    assert.deepEqual(s.closes, {}, 'no connection closed');
    assert.equal(s.open, CONNECTIONS);
    assert.equal(s.lost, 0, 'lost messages');
    assert.equal(s.reordered, 0, 'reordered messages');
    assert.equal(s.unanswered, 0, 'unanswered messages');
    assert.ok(held.every((cl) => cl.checked >= SECONDS / 2), 'every connection kept exchanging messages');
    assert.equal(reloadsFailed, 0, 'no reload refused');
    // Reloads are coalesced to at most one per 100 ms (a bound on the rate, not a benchmark).
    assert.ok(reloadsOk >= SECONDS * 5, `${reloadsOk} table swaps in ${SECONDS} s`);
    assert.deepEqual(mainIds(), expectMain, 'the table is the last file written');
    assert.equal(probeSummary.failedAttempts, 0, 'every upgrade during the churn succeeded');
    assert.equal(probeSummary.checked, probes.length);
    report('config-churn runtime', { seconds: ((performance.now() - started) / 1000).toFixed(1) });
  } catch (err) {
    if (gw) console.log(`# wsgate log tail:\n${gw.log().slice(-3000)}`);
    throw err;
  } finally {
    clearInterval(churnTimer);
    stopTraffic();
    await fleet.stopAll();
    await gw?.stop('SIGKILL');
    await Promise.all([a, b, c, d].map((x) => x.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
