// Renders a bench result as a Markdown table (printed and written to latest.md) and as a small
// SVG bar chart (latest.svg) for docs/benchmarks.md. No dependencies: the SVG is written by hand.

import { CAPACITY_METHOD } from './lib/capacity.js';
import { FEATURE_TITLE, FEATURES, type FeatureCost } from './lib/features.js';
import { STORM_COMPARISONS } from './lib/storm.js';
import { h2Tables } from './lib/h2-report.js';
import type { H2Results } from './lib/h2-summary.js';

export interface TargetThroughput {
  msgsPerSecond: number;
  proxyCpuUsPerMsg: number;
  cpuPercent: { proxy: number; backend: number; generator: number };
}

export interface BenchResult {
  date: string;
  mode: 'quick' | 'full';
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; kernel: string; node: string };
  setup: {
    targets: Record<string, string>;
    rounds: number;
    inflightPerConnection: number;
    latency: { conns: number; size: number; rate: number; durationMs: number };
    upgrades: { concurrency: number };
    memory: { conns: number };
    [k: string]: unknown;
  };
  throughput: Array<{ key: string; conns: number; size: number; inflight: number; byTarget: Record<string, unknown> }>;
  latency: Record<string, unknown>;
  upgrades: Record<string, unknown>;
  memory: Record<string, unknown>;
  /** The reconnect storm per target (bench/lib/storm.ts StormSummary); absent in results from before it. */
  storm?: Record<string, unknown>;
  /** What each route feature costs per upgrade (bench/lib/features.ts featureCosts); absent in results from before it. */
  featureCosts?: Record<string, FeatureCost>;
  /** The HTTP/2 scenarios on the -tls targets (bench/lib/h2-summary.ts); absent in results from before them. */
  h2?: H2Results;
  otherLoadPercent?: Record<string, number>;
  stealPercent?: Record<string, number>;
  latencyStealPercent?: Record<string, number>;
  generatorCheck: unknown;
  controlPlane: unknown;
  ratios: Record<string, unknown>;
  targetsMet: Record<string, boolean | undefined>;
}

// The one-feature targets (wsgate-feature-*) have their own table, not a column.
const ORDER = ['wsgate', 'wsgate-messages', 'wsgate-features', 'wsgate-alt', 'nginx', 'haproxy', 'caddy', 'wsgate-2', 'nginx-2', 'haproxy-2', 'caddy-2', 'node-relay', 'direct'];
const TITLE: Record<string, string> = {
  wsgate: 'wsgate',
  'wsgate-messages': 'wsgate, messages + keepalive on',
  'wsgate-features': 'wsgate, every route feature on',
  'wsgate-alt': 'wsgate (alt build)',
  nginx: 'nginx',
  haproxy: 'HAProxy',
  caddy: 'Caddy',
  'wsgate-2': 'wsgate, 2 workers',
  'nginx-2': 'nginx, 2 workers',
  'haproxy-2': 'HAProxy, 2 threads',
  'caddy-2': 'Caddy, GOMAXPROCS=2',
  'node-relay': 'bare Node relay',
  direct: 'direct',
};
const COLOR: Record<string, string> = {
  wsgate: '#2b7bb9',
  'wsgate-messages': '#4f9fd6',
  'wsgate-features': '#16a2a2',
  'wsgate-alt': '#7fb8e6',
  nginx: '#3a9d4a',
  haproxy: '#d98a1c',
  caddy: '#c0392b',
  'wsgate-2': '#1b4f78',
  'nginx-2': '#24692f',
  'haproxy-2': '#9a5f0f',
  'caddy-2': '#7b241c',
  'node-relay': '#8e5bb5',
  direct: '#8c8c8c',
};

function num(o: unknown, ...keys: string[]): number {
  let v: unknown = o;
  for (const k of keys) v = (v as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' ? v : Number.NaN;
}

function fmtInt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–';
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

function sizeLabel(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

function presentTargets(r: BenchResult): string[] {
  const seen = new Set<string>();
  for (const row of r.throughput) for (const k of Object.keys(row.byTarget)) seen.add(k);
  for (const o of [r.latency, r.upgrades, r.memory, r.storm ?? {}]) for (const k of Object.keys(o)) seen.add(k);
  return ORDER.filter((t) => seen.has(t));
}

export function renderMarkdown(r: BenchResult): string {
  const ts = presentTargets(r);
  const lines: string[] = [];
  const row = (cells: string[]) => lines.push(`| ${cells.join(' | ')} |`);
  lines.push(`### wsgate benchmark (${r.mode}, ${r.date.slice(0, 10)})`, '');
  lines.push(
    `${r.machine.cpus} cores (${r.machine.cpuModel}), ${Math.round(r.machine.memoryGiB)} GiB, Linux ${r.machine.kernel}, Node ${r.machine.node}; ` +
      `everything on loopback; ${r.setup.rounds} interleaved round(s), median shown. ` +
      'One event loop each: wsgate `--workers 1`, nginx `worker_processes 1`, HAProxy `nbthread 1`, Caddy `GOMAXPROCS=1`; the 2-worker columns: `--workers 2`, `worker_processes 2`, `nbthread 2`, `GOMAXPROCS=2`.',
    '',
  );
  row(['', ...ts.map((t) => TITLE[t] ?? t)]);
  row(['---', ...ts.map(() => '---:')]);
  for (const t of r.throughput) {
    row([
      `echo msgs/s, ${fmtInt(t.conns)} conns, ${sizeLabel(t.size)}`,
      ...ts.map((n) => fmtInt(num(t.byTarget, n, 'msgsPerSecond'))),
    ]);
  }
  const first = r.throughput[0];
  if (first) {
    row([
      `proxy CPU µs per message (${first.key})`,
      ...ts.map((n) => (n === 'direct' ? '–' : fmt(num(first.byTarget, n, 'proxyCpuUsPerMsg'), 1))),
    ]);
  }
  const L = r.setup.latency;
  if (Object.keys(r.latency).length) {
    row([
      `round trip p50 / p99 / p99.9 ms (${fmtInt(L.rate)} msgs/s, ${L.conns} conns)`,
      ...ts.map((n) => `${fmt(num(r.latency, n, 'p50Ms'), 3)} / ${fmt(num(r.latency, n, 'p99Ms'), 3)} / ${fmt(num(r.latency, n, 'p999Ms'), 3)}`),
    ]);
  }
  if (Object.keys(r.upgrades).length) {
    row([`upgrades/s (${r.setup.upgrades.concurrency} connect+close loops)`, ...ts.map((n) => fmtInt(num(r.upgrades, n, 'upgradesPerSecond')))]);
    row(['proxy CPU µs per upgrade', ...ts.map((n) => (n === 'direct' ? '–' : fmt(num(r.upgrades, n, 'proxyCpuUsPerUpgrade'), 0)))]);
  }
  if (Object.keys(r.memory).length) {
    row([
      `RSS per idle connection, KiB (${fmtInt(r.setup.memory.conns)} held)`,
      ...ts.map((n) => (n === 'direct' ? '–' : fmt(num(r.memory, n, 'bytesPerConnection') / 1024, 1))),
    ]);
    row([
      '… of which JS heap (live after a GC) / rest (sockets, buffers, free heap), KiB',
      ...ts.map((n) => {
        const heap = (r.memory[n] as { heapBytesPerConnection?: number } | undefined)?.heapBytesPerConnection;
        return heap === undefined ? '–' : `${fmt(heap / 1024, 1)} / ${fmt((num(r.memory, n, 'bytesPerConnection') - heap) / 1024, 1)}`;
      }),
    ]);
    row([
      `idle connections within 1 GiB of RSS (extrapolated from ${fmtInt(r.setup.memory.conns / 2)} and ${fmtInt(r.setup.memory.conns)} held)`,
      ...ts.map((n) => (n === 'direct' ? '–' : fmtInt(num(r.memory, n, 'capacityConnections')))),
    ]);
    row([
      'RSS idle → held, MiB',
      ...ts.map((n) =>
        n === 'direct' ? '–' : `${fmt(num(r.memory, n, 'rssIdleBytes') / 2 ** 20, 1)} → ${fmt(num(r.memory, n, 'rssHeldBytes') / 2 ** 20, 1)}`,
      ),
    ]);
  }
  if (r.otherLoadPercent && Object.keys(r.otherLoadPercent).length) {
    row([
      'other programs\' CPU during the windows, % of a core (median)',
      ...ts.map((n) => fmt(r.otherLoadPercent?.[n] ?? Number.NaN, 0)),
    ]);
  }
  if (r.stealPercent && Object.keys(r.stealPercent).length) {
    row([
      '… of which stolen by the hypervisor (steal), % of a core (median; latency windows)',
      ...ts.map((n) => `${fmt(r.stealPercent?.[n] ?? Number.NaN, 0)} (${fmt(r.latencyStealPercent?.[n] ?? Number.NaN, 0)})`),
    ]);
  }
  lines.push('');

  lines.push(...stormTable(r, ts));

  const rt = r.ratios;
  const rv = (k: string) => fmt(num(rt, k), 2);
  lines.push('| wsgate ratio | vs nginx | vs HAProxy | vs Caddy | vs direct |', '| --- | ---: | ---: | ---: | ---: |');
  lines.push(`| messages/s (geometric mean of the ${r.throughput.length} configs) | ${rv('msgsPerSecondVsNginx')} | ${rv('msgsPerSecondVsHaproxy')} | ${rv('msgsPerSecondVsCaddy')} | ${rv('msgsPerSecondVsDirect')} |`);
  lines.push(`| p99 round trip (lower is better) | ${rv('p99VsNginx')} | ${rv('p99VsHaproxy')} | ${rv('p99VsCaddy')} | |`);
  lines.push(`| upgrades/s | ${rv('upgradesPerSecondVsNginx')} | ${rv('upgradesPerSecondVsHaproxy')} | ${rv('upgradesPerSecondVsCaddy')} | |`);
  lines.push(`| memory per connection (lower is better) | ${rv('memoryPerConnectionVsNginx')} | ${rv('memoryPerConnectionVsHaproxy')} | ${rv('memoryPerConnectionVsCaddy')} | |`);
  lines.push(`| idle connections within 1 GiB of RSS (higher is better) | ${rv('capacityVsNginx')} | ${rv('capacityVsHaproxy')} | ${rv('capacityVsCaddy')} | |`);
  lines.push(`| proxy CPU per message, ${r.throughput[0]?.key ?? ''} (lower is better) | ${rv('proxyCpuPerMessageVsNginx')} | | ${rv('proxyCpuPerMessageVsCaddy')} | |`);
  lines.push(`| proxy CPU per upgrade (lower is better) | ${rv('proxyCpuPerUpgradeVsNginx')} | | ${rv('proxyCpuPerUpgradeVsCaddy')} | |`);
  lines.push('');
  if (Number.isFinite(num(rt, 'msgsPerSecondVsNginx2')) || Number.isFinite(num(rt, 'upgradesPerSecondVsNginx2'))) {
    lines.push(
      '| wsgate --workers 2 ratio | vs nginx worker_processes 2 | vs HAProxy nbthread 2 | vs Caddy GOMAXPROCS=2 | vs wsgate --workers 1 |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    lines.push(`| messages/s (geometric mean) | ${rv('msgsPerSecondVsNginx2')} | ${rv('msgsPerSecondVsHaproxy2')} | ${rv('msgsPerSecondVsCaddy2')} | ${rv('msgsPerSecondWorkers2VsWorkers1')} |`);
    lines.push(`| upgrades/s | ${rv('upgradesPerSecondVsNginx2')} | ${rv('upgradesPerSecondVsHaproxy2')} | ${rv('upgradesPerSecondVsCaddy2')} | ${rv('upgradesPerSecondWorkers2VsWorkers1')} |`);
    lines.push(`| p99 round trip (lower is better) | ${rv('p99VsNginx2')} | | | |`);
    lines.push(`| memory per connection (lower is better) | ${rv('memoryPerConnectionVsNginx2')} | | | |`);
    lines.push(`| proxy CPU per upgrade (lower is better) | ${rv('proxyCpuPerUpgradeVsNginx2')} | | ${rv('proxyCpuPerUpgradeVsCaddy2')} | |`);
    lines.push('');
  }
  const wr = rt.wsgateVsNodeRelay as Record<string, number> | undefined;
  const nr = rt.nodeRelayVsNginx as Record<string, number> | undefined;
  if (wr && nr) {
    const f = (o: Record<string, number>, k: string) => fmt(o[k] ?? Number.NaN, 2);
    lines.push(
      '| what bounds it (bench/node-relay.ts: a bare Node.js relay, one event loop) | wsgate vs bare Node | bare Node vs nginx |',
      '| --- | ---: | ---: |',
    );
    for (const [k, label] of [
      ['msgsPerSecond', 'messages/s (geometric mean)'],
      ['p99', 'p99 round trip (lower is better)'],
      ['upgradesPerSecond', 'upgrades/s'],
      ['proxyCpuPerMessage', 'proxy CPU per message (lower is better)'],
      ['proxyCpuPerUpgrade', 'proxy CPU per upgrade (lower is better)'],
      ['memoryPerConnection', 'memory per connection (lower is better)'],
    ] as const) lines.push(`| ${label} | ${f(wr, k)} | ${f(nr, k)} |`);
    const fr = rt.wsgateFeaturesVsNodeRelay as Record<string, number> | undefined;
    if (fr) lines.push(`| proxy CPU per upgrade, every route feature on (wsgate-features; lower is better) | ${f(fr, 'proxyCpuPerUpgrade')} | |`);
    lines.push('');
  }
  lines.push(...featureTable(r));
  const met = r.targetsMet;
  const yn = (b: boolean | undefined) => (b === undefined ? 'not measured' : b ? '**met**' : '**not met**');
  lines.push(
    `Targets (issue 14, against nginx with one worker): messages/s ≥ 1.1×: ${yn(met.msgsPerSecondAtLeast1_1xNginx)}; ` +
      `p99 ≤ 1.2×: ${yn(met.p99AtMost1_2xNginx)}; memory per connection ≤ 1×: ${yn(met.memoryPerConnectionAtMostNginx)}; ` +
      `upgrades/s ≥ 1×: ${yn(met.upgradesPerSecondAtLeastNginx)}; proxy CPU per upgrade ≤ 1×: ${yn(met.proxyCpuPerUpgradeAtMostNginx)}; ` +
      `proxy CPU per message ≤ 1×: ${yn(met.proxyCpuPerMessageAtMostNginx)}.`,
    '',
  );
  lines.push(...h2Tables(r));

  const cp = r.controlPlane as { results?: Array<Record<string, number | boolean>> } | undefined;
  if (cp?.results?.length) {
    lines.push('| control plane (in-process) | compile | one EndpointSlice change → table | route lookup |', '| --- | ---: | ---: | ---: |');
    for (const c of cp.results) {
      lines.push(
        `| ${fmtInt(c.routes as number)} routes, ${fmtInt(c.endpoints as number)} endpoints | ${fmt(c.compileMs as number, 0)} ms | ` +
          `${fmt(c.endpointSliceChangeApplyMs as number, 0)} ms | ${fmt((c.lookupNsPerRequest as number) / 1000, 1)} µs |`,
      );
    }
    lines.push('');
  }

  const gc = r.generatorCheck as Record<string, { generators: number; msgsPerSecond: number; doubledGenerators: number; doubledMsgsPerSecond: number; cpu: { generator: number } }> | undefined;
  if (gc && Object.keys(gc).length) {
    const parts = Object.entries(gc).map(
      ([t, g]) => `${TITLE[t] ?? t} ${fmtInt(g.msgsPerSecond)} msgs/s with ${g.generators} generator processes (${fmt(g.cpu.generator, 0)}% CPU) vs ${fmtInt(g.doubledMsgsPerSecond)} with ${g.doubledGenerators}`,
    );
    lines.push(`Generator check (100 conns, 32 B): ${parts.join('; ')}.`, '');
  }
  lines.push(
    'Setup: ' +
      Object.values(r.setup.targets).join('; ') +
      `. Closed-loop throughput keeps ${r.setup.inflightPerConnection} messages in flight per connection; a message is one echo ` +
      'round trip (it crosses the proxy twice). Latency is open loop at a fixed rate, measured from the actual send; ' +
      'each percentile is the median over rounds of that round\'s percentile. ' +
      'Memory is the growth of the proxy\'s VmRSS (nginx: master + worker) from idle to the held connections, divided by their number. ' +
      `Capacity: ${(r.setup.capacity as { method?: string } | undefined)?.method ?? CAPACITY_METHOD} ` +
      'All processes (proxy, echo backends, load generators) share the same cores, so a proxy that uses less CPU leaves more to the others.',
  );
  return `${lines.join('\n')}\n`;
}

/** What each route feature adds per upgrade (upgrades scenario), one row a feature, then all of them. */
function featureTable(r: BenchResult): string[] {
  const costs = r.featureCosts ?? {};
  const keys = [...FEATURES, 'all'].filter((k) => costs[k] !== undefined);
  if (!keys.length) return [];
  const plain = num(r.upgrades, 'wsgate', 'proxyCpuUsPerUpgrade');
  const out = [
    '| what each route feature costs per upgrade | proxy CPU µs per upgrade | added over plain wsgate, µs | vs bare Node relay |',
    '| --- | ---: | ---: | ---: |',
    `| wsgate, no feature | ${fmt(plain, 0)} | | ${fmt(num(r.ratios, 'wsgateVsNodeRelay', 'proxyCpuPerUpgrade'))} |`,
  ];
  for (const k of keys) {
    const c = costs[k]!;
    const title = k === 'all' ? '**every route feature on** (JWT, Origin, headers, affinity, limits; access log at info as always)' : `+ ${FEATURE_TITLE[k as keyof typeof FEATURE_TITLE]}`;
    out.push(`| ${title} | ${fmt(c.proxyCpuUsPerUpgrade, 0)} | ${Number.isFinite(c.addedUsPerUpgrade) ? (c.addedUsPerUpgrade >= 0 ? '+' : '') + fmt(c.addedUsPerUpgrade, 0) : '–'} | ${fmt(c.vsNodeRelay)} |`);
  }
  out.push('');
  return out;
}

/**
 * The reconnect storm's own table (issue 27): per target, the time until every client was
 * connected, the handshake percentiles, failed handshakes and the proxy's CPU per upgrade; then
 * the ratios of wsgate to its peers with the same number of event loops.
 */
function stormTable(r: BenchResult, present: string[]): string[] {
  const storm = r.storm ?? {};
  const ts = present.filter((t) => storm[t] !== undefined);
  if (!ts.length) return [];
  const cfg = r.setup.storm as { clients: number; concurrency: number } | undefined;
  const out = [
    `Reconnect storm: ${fmtInt(cfg?.clients ?? Number.NaN)} clients connect at once (${fmtInt(cfg?.concurrency ?? Number.NaN)} dialing at a time) to the route's two endpoints and hold.`,
    '',
    `| reconnect storm | ${ts.map((t) => TITLE[t] ?? t).join(' | ')} |`,
    `| --- | ${ts.map(() => '---:').join(' | ')} |`,
  ];
  const row = (label: string, cell: (t: string) => string) => out.push(`| ${label} | ${ts.map(cell).join(' | ')} |`);
  row('time until all connected, s', (t) => fmt(num(storm, t, 'allConnectedMs') / 1000, 2));
  row('handshake p50 / p99, ms', (t) => `${fmt(num(storm, t, 'handshakeP50Ms'), 1)} / ${fmt(num(storm, t, 'handshakeP99Ms'), 1)}`);
  row('failed handshakes (all rounds)', (t) => fmtInt(num(storm, t, 'failedHandshakes')));
  row('proxy CPU µs per upgrade', (t) => (t === 'direct' ? '–' : fmt(num(storm, t, 'proxyCpuUsPerUpgrade'), 0)));
  out.push('');
  const ratios = r.ratios.storm as Record<string, { allConnected: number; handshakeP99: number; proxyCpuPerUpgrade: number }> | undefined;
  if (ratios && Object.keys(ratios).length) {
    out.push('| storm ratio (lower is better) | time until all connected | handshake p99 | proxy CPU per upgrade |', '| --- | ---: | ---: | ---: |');
    for (const [k, a, b] of STORM_COMPARISONS) {
      const v = ratios[k];
      if (v) out.push(`| ${TITLE[a] ?? a} vs ${TITLE[b] ?? b} | ${fmt(v.allConnected)} | ${fmt(v.handshakeP99)} | ${fmt(v.proxyCpuPerUpgrade)} |`);
    }
    out.push('');
  }
  return out;
}

/** Panels of grouped bars: throughput per config, latency percentiles, upgrades/s, memory/conn, and the storm when it ran. */
export function renderSvg(r: BenchResult): string {
  const ts = presentTargets(r);
  const proxies = ts.filter((t) => t !== 'direct');
  interface Panel {
    title: string;
    unit: string;
    groups: Array<{ label: string; values: Array<{ target: string; value: number }> }>;
  }
  const panels: Panel[] = [
    {
      title: 'Echo messages per second (higher is better)',
      unit: 'k msgs/s',
      groups: r.throughput.map((t) => ({
        label: `${t.conns} × ${sizeLabel(t.size)}`,
        values: ts.map((n) => ({ target: n, value: num(t.byTarget, n, 'msgsPerSecond') / 1000 })),
      })),
    },
    {
      title: `Round trip at ${r.setup.latency.rate.toLocaleString('en-US')} msgs/s (lower is better)`,
      unit: 'ms',
      groups: (['p50Ms', 'p99Ms', 'p999Ms'] as const).map((k) => ({
        label: k.replace('Ms', '').replace('p999', 'p99.9'),
        values: ts.map((n) => ({ target: n, value: num(r.latency, n, k) })),
      })),
    },
    {
      title: 'New WebSocket upgrades per second (higher is better)',
      unit: 'upgrades/s',
      groups: [{ label: `${r.setup.upgrades.concurrency} loops`, values: ts.map((n) => ({ target: n, value: num(r.upgrades, n, 'upgradesPerSecond') })) }],
    },
    {
      title: `RSS per idle connection, ${r.setup.memory.conns.toLocaleString('en-US')} held (lower is better)`,
      unit: 'KiB',
      groups: [{ label: 'per connection', values: proxies.map((n) => ({ target: n, value: num(r.memory, n, 'bytesPerConnection') / 1024 })) }],
    },
  ];
  const storm = r.storm ?? {};
  const stormTargets = ts.filter((n) => storm[n] !== undefined);
  if (stormTargets.length) {
    const clients = (r.setup.storm as { clients?: number } | undefined)?.clients ?? Number.NaN;
    panels.push({
      title: `Reconnect storm: ${clients.toLocaleString('en-US')} clients at once (lower is better)`,
      unit: 's',
      groups: [{ label: 'until all connected', values: stormTargets.map((n) => ({ target: n, value: num(storm, n, 'allConnectedMs') / 1000 })) }],
    });
  }
  const W = 940;
  const PW = 440;
  const PH = 250;
  const top = 60;
  const height = top + Math.ceil(panels.length / 2) * (PH + 20) + 10;
  const out: string[] = [];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="24" font-size="15" font-weight="bold">wsgate vs nginx, HAProxy, Caddy and a direct connection (${esc(r.mode)}, ${esc(r.date.slice(0, 10))}, ${r.machine.cpus} cores, loopback)</text>`,
  );
  // Legend.
  const legendStep = Math.min(120, Math.floor((W - 40) / Math.max(1, ts.length)));
  ts.forEach((t, i) => {
    const x = 20 + i * legendStep;
    out.push(`<rect x="${x}" y="36" width="12" height="12" fill="${COLOR[t]}"/><text x="${x + 17}" y="46">${esc(TITLE[t] ?? t)}</text>`);
  });
  panels.forEach((p, pi) => {
    const ox = 20 + (pi % 2) * (PW + 20);
    const oy = top + Math.floor(pi / 2) * (PH + 20);
    const plotX = ox + 50;
    const plotY = oy + 28;
    const plotW = PW - 60;
    const plotH = PH - 70;
    out.push(`<rect x="${ox}" y="${oy}" width="${PW}" height="${PH}" fill="#fafafa" stroke="#dddddd"/>`);
    out.push(`<text x="${ox + 10}" y="${oy + 18}" font-size="12" font-weight="bold">${esc(p.title)}</text>`);
    const all = p.groups.flatMap((g) => g.values.map((v) => v.value)).filter(Number.isFinite);
    const max = niceMax(all.length ? Math.max(...all) : 1);
    for (let k = 0; k <= 4; k++) {
      const y = plotY + plotH - (k / 4) * plotH;
      out.push(`<line x1="${plotX}" x2="${plotX + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${plotX - 4}" y="${y + 3}" text-anchor="end" fill="#555">${trim((max * k) / 4)}</text>`);
    }
    out.push(`<text x="${ox + 12}" y="${plotY + plotH / 2}" transform="rotate(-90 ${ox + 12} ${plotY + plotH / 2})" text-anchor="middle" fill="#555">${esc(p.unit)}</text>`);
    const gw = plotW / Math.max(1, p.groups.length);
    p.groups.forEach((g, gi) => {
      const n = g.values.length;
      const bw = Math.min(26, (gw - 16) / Math.max(1, n));
      const gx = plotX + gi * gw + (gw - bw * n) / 2;
      g.values.forEach((v, vi) => {
        if (!Number.isFinite(v.value)) return;
        const h = (v.value / max) * plotH;
        const x = gx + vi * bw;
        out.push(`<rect x="${x.toFixed(1)}" y="${(plotY + plotH - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOR[v.target]}"><title>${esc(`${TITLE[v.target]}: ${trim(v.value)} ${p.unit}`)}</title></rect>`);
        out.push(`<text x="${(x + (bw - 2) / 2).toFixed(1)}" y="${(plotY + plotH - h - 3).toFixed(1)}" text-anchor="middle" font-size="8" fill="#333">${trim(v.value)}</text>`);
      });
      out.push(`<text x="${(plotX + gi * gw + gw / 2).toFixed(1)}" y="${plotY + plotH + 16}" text-anchor="middle">${esc(g.label)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function trim(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x >= 100) return Math.round(x).toString();
  if (x >= 10) return x.toFixed(1).replace(/\.0$/, '');
  return x.toFixed(2).replace(/0$/, '').replace(/\.0$/, '');
}
