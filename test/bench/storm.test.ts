// The reconnect-storm scenario's arithmetic (bench/lib/storm.ts) and its table in the report
// (bench/report.ts). The storm itself (make bench) is not a test.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stormComparisons, stormFigures, stormRatios, stormSummary, type StormFigures, type StormSummary } from '../../bench/lib/storm.js';
import { renderMarkdown, renderSvg, type BenchResult } from '../../bench/report.js';
import { benchResult } from './report-fixture.js';

const sorted = (xs: number[]) => Float64Array.from(xs).sort();

test('storm figures: percentiles over every generator, the slowest generator decides, failures apart', () => {
  // Generator 0 opened 3 (one failed); generator 1 opened 2 and finished later.
  const f = stormFigures(
    6,
    [
      { opened: 3, failed: 1, ms: 900, handshakeMs: sorted([10, 30, 50]) },
      { opened: 2, failed: 0, ms: 1200, handshakeMs: sorted([20, 400]) },
    ],
    0.5,
  );
  assert.equal(f.clients, 6);
  assert.equal(f.opened, 5);
  assert.equal(f.failed, 1);
  assert.equal(f.allConnectedMs, 1200);
  // Merged [10, 20, 30, 50, 400]: nearest-rank p50 is the 3rd, p99 the 5th.
  assert.equal(f.handshakeP50Ms, 30);
  assert.equal(f.handshakeP99Ms, 400);
  assert.equal(f.handshakeMaxMs, 400);
  // 0.5 s of proxy CPU over 5 completed upgrades.
  assert.equal(f.proxyCpuUsPerUpgrade, 100_000);
});

test('storm figures: no proxy (direct) or nothing opened gives no CPU per upgrade', () => {
  assert.ok(Number.isNaN(stormFigures(1, [{ opened: 1, failed: 0, ms: 5, handshakeMs: sorted([5]) }], undefined).proxyCpuUsPerUpgrade));
  const none = stormFigures(2, [{ opened: 0, failed: 2, ms: 10_000, handshakeMs: sorted([]) }], 0.1);
  assert.ok(Number.isNaN(none.proxyCpuUsPerUpgrade));
  assert.ok(Number.isNaN(none.handshakeP99Ms));
  assert.equal(none.failed, 2);
});

function figures(over: Partial<StormFigures>): StormFigures {
  return { clients: 100, opened: 100, failed: 0, allConnectedMs: 1000, handshakeP50Ms: 10, handshakeP99Ms: 50, handshakeMaxMs: 60, proxyCpuUsPerUpgrade: 200, ...over };
}

test('storm summary: medians over rounds, failed handshakes summed; no rounds is an error', () => {
  const s = stormSummary([
    figures({ allConnectedMs: 3000, handshakeP99Ms: 90, failed: 2, proxyCpuUsPerUpgrade: 300 }),
    figures({ allConnectedMs: 1000, handshakeP99Ms: 50, failed: 0, proxyCpuUsPerUpgrade: 100 }),
    figures({ allConnectedMs: 2000, handshakeP99Ms: 70, failed: 1, proxyCpuUsPerUpgrade: 200 }),
  ]);
  assert.deepEqual(s, { clients: 100, allConnectedMs: 2000, handshakeP50Ms: 10, handshakeP99Ms: 70, failedHandshakes: 3, proxyCpuUsPerUpgrade: 200 });
  assert.throws(() => stormSummary([]), /no rounds/);
});

const summary = (allConnectedMs: number, handshakeP99Ms: number, proxyCpuUsPerUpgrade: number): StormSummary => ({
  clients: 5000,
  allConnectedMs,
  handshakeP50Ms: handshakeP99Ms / 4,
  handshakeP99Ms,
  failedHandshakes: 0,
  proxyCpuUsPerUpgrade,
});

test('storm ratios: each wsgate build against its peers with as many event loops, only pairs that both ran', () => {
  const storm = {
    wsgate: summary(4000, 800, 400),
    nginx: summary(2000, 200, 100),
    'node-relay': summary(2000, 400, 200),
    'wsgate-2': summary(3000, 600, 450),
    'caddy-2': summary(1500, 300, 300),
  };
  assert.deepEqual(stormRatios(storm, 'wsgate', 'nginx'), { allConnected: 2, handshakeP99: 4, proxyCpuPerUpgrade: 4 });
  const all = stormComparisons(storm);
  assert.deepEqual(Object.keys(all), ['wsgateVsNginx', 'wsgateVsNodeRelay', 'wsgate2VsCaddy2']);
  assert.deepEqual(all.wsgate2VsCaddy2, { allConnected: 2, handshakeP99: 2, proxyCpuPerUpgrade: 1.5 });
  const missing = stormRatios(storm, 'wsgate', 'haproxy');
  assert.ok(Number.isNaN(missing.allConnected) && Number.isNaN(missing.proxyCpuPerUpgrade));
});

function result(storm: Record<string, StormSummary> | undefined): BenchResult {
  return benchResult(storm ? { storm, ratios: { storm: stormComparisons(storm) } } : {});
}

test('report: the storm has its own table, its ratio rows and a chart panel; none without a storm', () => {
  const r = result({ wsgate: summary(4000, 800, 400), nginx: summary(2000, 200, 100), direct: { ...summary(1000, 100, Number.NaN), failedHandshakes: 3 } });
  const md = renderMarkdown(r);
  assert.match(md, /Reconnect storm: 5,000 clients connect at once \(500 dialing at a time\)/);
  assert.match(md, /^\| reconnect storm \| wsgate \| nginx \| direct \|$/m);
  assert.match(md, /^\| time until all connected, s \| 4\.00 \| 2\.00 \| 1\.00 \|$/m);
  assert.match(md, /^\| handshake p50 \/ p99, ms \| 200\.0 \/ 800\.0 \| 50\.0 \/ 200\.0 \| 25\.0 \/ 100\.0 \|$/m);
  assert.match(md, /^\| failed handshakes \(all rounds\) \| 0 \| 0 \| 3 \|$/m);
  assert.match(md, /^\| proxy CPU µs per upgrade \| 400 \| 100 \| – \|$/m);
  assert.match(md, /^\| wsgate vs nginx \| 2\.00 \| 4\.00 \| 4\.00 \|$/m);
  assert.match(renderSvg(r), /Reconnect storm: 5,000 clients at once/);
  const without = result(undefined);
  assert.doesNotMatch(renderMarkdown(without), /reconnect storm/i);
  assert.doesNotMatch(renderSvg(without), /Reconnect storm/);
});
