// Soak (make soak only; not a *.test file, so `make test` never runs it): 5,000 connections with
// steady traffic for 10 minutes, plus a steady trickle of connections closing and opening.
// wsgate's resident memory (/proc/PID/status VmRSS) and event-loop lag (p99 from the admin
// /metrics, prom-client's nodejs_eventloop_lag_p99_seconds) are sampled every 30 s and printed;
// after warm-up neither may grow beyond a generous bound. After every client left, wsgate's open
// file descriptors must be back at the baseline taken before the first client.
//
//   WSGATE_SOAK=1                   required (make soak sets it)
//   WSGATE_SOAK_DURATION=10m        how long the traffic runs (ms, or 90s, 10m)
//   WSGATE_SOAK_CONNECTIONS=5000
//   WSGATE_SOAK_SAMPLE=30s          sampling interval

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireFdLimit, startEchoProc, startGate, tempDir, waitForFds, type EchoProc, type GateProc } from '../reliability/lib/procs.js';
import { ep, writeRoutes } from '../reliability/lib/routes.js';
import { Fleet, report, type SeqClient } from '../reliability/lib/seq-client.js';

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
}

const DURATION_MS = durationMs(process.env.WSGATE_SOAK_DURATION ?? '10m');
const CONNECTIONS = Number(process.env.WSGATE_SOAK_CONNECTIONS ?? 5000);
const SAMPLE_MS = durationMs(process.env.WSGATE_SOAK_SAMPLE ?? '30s');
/** Each client sends one message every 2 s: 2,500 messages/s (x2 frames through wsgate) at 5,000. */
const PERIOD_MS = 2000;
/** Every 5 s, 25 clients leave and 25 new ones arrive. */
const CHURN_EVERY_MS = 5000;
const CHURN_COUNT = 25;
const MiB = 1024 * 1024;

interface Sample {
  t: number;
  rss: number;
  lagP99: number;
  heap: number;
  fds: number;
  active: number;
}

test(`soak: ${CONNECTIONS} connections for ${DURATION_MS / 60000} min`, { skip: process.env.WSGATE_SOAK !== '1' && 'set WSGATE_SOAK=1 (make soak)' }, async () => {
  requireFdLimit(2 * CONNECTIONS + 1000);
  const dir = tempDir('wsgate-soak-');
  const file = path.join(dir, 'routes.yaml');
  const backends: EchoProc[] = await Promise.all(['soak-a', 'soak-b', 'soak-c', 'soak-d'].map((n) => startEchoProc(n)));
  writeRoutes(file, [{ name: 'soak', spec: { match: { path: '/soak/{rest}' }, backend: { endpoints: backends.map(ep) } } }]);
  let gw: GateProc | undefined;
  const fleet = new Fleet();
  let stopTraffic = () => {};
  let churnTimer: NodeJS.Timeout | undefined;
  try {
    gw = await startGate(['standalone', '--config', file], { dir });
    const fdsBaseline = gw.fds();
    const rssIdle = gw.rss();
    const url = (i: number) => `${gw!.url}/soak/c${i}`;
    const clients: SeqClient[] = Array.from({ length: CONNECTIONS }, (_, i) => fleet.add({ url: url(i), padding: 64 }));
    const connectStarted = performance.now();
    await fleet.connectAll(clients, 64);
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    // The set of clients traffic goes to; churn replaces members in place.
    const active = [...clients];
    stopTraffic = fleet.startTraffic(PERIOD_MS, 50, active);
    let churned = 0;
    let churnFailures = 0;
    let nextId = CONNECTIONS;
    const departed: SeqClient[] = [];
    const churn = async () => {
      for (let k = 0; k < CHURN_COUNT; k++) {
        const slot = (churned * 7919 + k * 104729) % active.length;
        const old = active[slot]!;
        await old.stop();
        departed.push(old);
        const fresh = fleet.add({ url: url(nextId++), padding: 64 });
        if (await fresh.connect()) active[slot] = fresh;
        else churnFailures++;
      }
      churned++;
    };
    let churning: Promise<void> = Promise.resolve();
    churnTimer = setInterval(() => {
      churning = churning.then(churn);
    }, CHURN_EVERY_MS);

    const samples: Sample[] = [];
    const t0 = performance.now();
    const sample = async () => {
      const m = await gw!.metrics();
      const s: Sample = {
        t: (performance.now() - t0) / 1000,
        rss: gw!.rss(),
        lagP99: m.sum('nodejs_eventloop_lag_p99_seconds') * 1000,
        heap: m.sum('nodejs_heap_size_used_bytes'),
        fds: gw!.fds(),
        active: m.sum('wsgate_connections_active'),
      };
      samples.push(s);
      report('soak sample', {
        t: `${s.t.toFixed(0)}s`,
        rssMiB: (s.rss / MiB).toFixed(1),
        heapUsedMiB: (s.heap / MiB).toFixed(1),
        lagP99ms: s.lagP99.toFixed(1),
        openFds: s.fds,
        connections: s.active,
        echoed: fleet.summary().checked,
      });
    };
    await sample(); // resets prom-client's lag histogram, so each sample covers its interval
    while (performance.now() - t0 < DURATION_MS) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, DURATION_MS - (performance.now() - t0))));
      await sample();
    }
    clearInterval(churnTimer);
    await churning;
    stopTraffic();
    await fleet.settle(30000);
    const s = fleet.summary();
    const all = fleet.summary([...active, ...departed]);

    // Trends: after a warm-up (first 20% of the run, at least one interval), compare.
    const warm = samples.filter((x) => x.t >= Math.max(SAMPLE_MS / 1000, (DURATION_MS / 1000) * 0.2));
    assert.ok(warm.length >= 2, 'enough samples after warm-up');
    const rssAtWarm = warm[0]!.rss;
    const rssMax = Math.max(...warm.map((x) => x.rss));
    const third = Math.max(1, Math.floor(warm.length / 3));
    const avg = (xs: Sample[], f: (x: Sample) => number) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
    const lagFirst = avg(warm.slice(0, third), (x) => x.lagP99);
    const lagLast = avg(warm.slice(-third), (x) => x.lagP99);
    const rssFirst = avg(warm.slice(0, third), (x) => x.rss);
    const rssLast = avg(warm.slice(-third), (x) => x.rss);

    await fleet.stopAll();
    const fdsAfter = await waitForFds(gw.pid, fdsBaseline, 15000);
    const rssAfter = gw.rss();

    report('soak connections', { held: CONNECTIONS, connectSeconds: connectSeconds.toFixed(1), churnCycles: churned, replaced: churned * CHURN_COUNT - churnFailures, churnFailures, minutes: (DURATION_MS / 60000).toFixed(1) });
    report('soak faults', { injected: 'none (steady load, connection churn every 5 s)' });
    report('soak closes', { unexpected: s.closes, own: all.ownCloses });
    report('soak messages', { checked: s.checked, lost: s.lost, reordered: s.reordered, unanswered: s.unanswered });
    report('soak memory', {
      rssIdleMiB: (rssIdle / MiB).toFixed(1),
      rssAtWarmMiB: (rssAtWarm / MiB).toFixed(1),
      rssMaxAfterWarmMiB: (rssMax / MiB).toFixed(1),
      rssFirstThirdMiB: (rssFirst / MiB).toFixed(1),
      rssLastThirdMiB: (rssLast / MiB).toFixed(1),
      rssAfterClientsLeftMiB: (rssAfter / MiB).toFixed(1),
    });
    report('soak event loop', { lagP99FirstThirdMs: lagFirst.toFixed(1), lagP99LastThirdMs: lagLast.toFixed(1), lagP99MaxMs: Math.max(...warm.map((x) => x.lagP99)).toFixed(1) });
    report('soak fds', { baseline: fdsBaseline, peak: Math.max(...samples.map((x) => x.fds)), afterClientsLeft: fdsAfter });

    assert.deepEqual(s.closes, {}, 'no connection closed by anyone but its client');
    assert.equal(s.lost, 0, 'lost messages');
    assert.equal(s.reordered, 0, 'reordered messages');
    assert.equal(s.unanswered, 0, 'unanswered messages');
    assert.equal(churnFailures, 0, 'every replacement connection opened');
    // Generous bounds: flat means no growth beyond noise, not a benchmark.
    assert.ok(rssMax - rssAtWarm < 128 * MiB, `RSS grew ${((rssMax - rssAtWarm) / MiB).toFixed(1)} MiB after warm-up`);
    assert.ok(rssLast - rssFirst < 64 * MiB, `RSS trend +${((rssLast - rssFirst) / MiB).toFixed(1)} MiB from the first to the last third`);
    assert.ok(lagLast <= 2 * lagFirst + 50, `event-loop lag p99 grew from ${lagFirst.toFixed(1)} to ${lagLast.toFixed(1)} ms`);
    assert.equal(fdsAfter, fdsBaseline, 'no file descriptor left behind once every client left');
  } catch (err) {
    if (gw) console.log(`# wsgate log tail:\n${gw.log().slice(-3000)}`);
    throw err;
  } finally {
    clearInterval(churnTimer);
    stopTraffic();
    await fleet.stopAll();
    await gw?.stop('SIGKILL');
    await Promise.all(backends.map((b) => b.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
