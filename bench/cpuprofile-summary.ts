// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time and by total
// (inclusive) time, time by category (wsgate, http-proxy-3, node core, GC, ...), and an SVG
// flame graph (icicle layout, root at the top).
//
// Usage: node dist/bench/cpuprofile-summary.js FILE.cpuprofile [--top N] [--svg OUT.svg] [--md OUT.md]

import fs from 'node:fs';
import path from 'node:path';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId?: string };
  children?: number[];
  hitCount?: number;
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionRow {
  name: string;
  where: string;
  category: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
}

export interface Summary {
  /** Wall time covered by samples, ms. */
  sampledMs: number;
  /** Time not idle, ms. */
  busyMs: number;
  byCategory: Array<{ category: string; selfMs: number; pctOfBusy: number }>;
  topSelf: FunctionRow[];
  topTotal: FunctionRow[];
}

export function categoryOf(frame: CpuProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'native/program';
    return 'native';
  }
  if (url.startsWith('node:')) return 'node core';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.includes('/dist/src/')) return 'wsgate';
  return 'other JS';
}

function shortUrl(url: string): string {
  if (!url) return '';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const d = url.indexOf('/dist/');
  return d !== -1 ? url.slice(d + 1) : path.basename(url);
}

function keyOf(n: CpuProfileNode): string {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'}\u0000${f.url}\u0000${f.lineNumber}`;
}

/** A time window in the profile's clock (µs, CLOCK_MONOTONIC like process.hrtime). */
export interface Window {
  startUs: number;
  endUs: number;
}

/** Per sample: its time (µs) and duration (ms); samples outside the window get duration 0. */
function sampleDurations(p: CpuProfile, window?: Window): number[] {
  const out: number[] = [];
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    out.push(!window || (t >= window.startUs && t <= window.endUs) ? dt / 1000 : 0);
  }
  return out;
}

export function summarize(p: CpuProfile, top = 25, window?: Window): Summary {
  const durations = sampleDurations(p, window);
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const cats = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = durations[i]!;
    if (dt <= 0) continue;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    sampled += dt;
    const cat = categoryOf(node.callFrame);
    if (cat === 'idle') {
      idle += dt;
      continue;
    }
    cats.set(cat, (cats.get(cat) ?? 0) + dt);
    const k = keyOf(node);
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (n.callFrame.functionName === '(root)') break;
      const kk = keyOf(n);
      if (seen.has(kk)) continue; // recursion: count once per sample
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + dt);
    }
  }
  const busy = sampled - idle;
  const rows = (m: Map<string, number>) => {
    const keys = [...m.keys()];
    return keys.map((k) => {
      const [name, url, line] = k.split('\u0000');
      const frame = { functionName: name!, url: url!, lineNumber: Number(line), columnNumber: 0 };
      const s = self.get(k) ?? 0;
      const t = total.get(k) ?? 0;
      return {
        name: name!,
        where: url ? `${shortUrl(url)}:${Number(line) + 1}` : '',
        category: categoryOf(frame),
        selfMs: round(s),
        selfPct: round((100 * s) / busy),
        totalMs: round(t),
        totalPct: round((100 * t) / busy),
      };
    });
  };
  return {
    sampledMs: round(sampled),
    busyMs: round(busy),
    byCategory: [...cats.entries()]
      .map(([category, ms]) => ({ category, selfMs: round(ms), pctOfBusy: round((100 * ms) / busy) }))
      .sort((a, b) => b.selfMs - a.selfMs),
    topSelf: rows(self).sort((a, b) => b.selfMs - a.selfMs).slice(0, top),
    topTotal: rows(total).sort((a, b) => b.totalMs - a.totalMs).slice(0, top),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

export function summaryMarkdown(title: string, s: Summary): string {
  const out: string[] = [`### ${title}`, ''];
  out.push(`Sampled ${(s.sampledMs / 1000).toFixed(1)} s, busy (not idle) ${(s.busyMs / 1000).toFixed(1)} s; percentages are of busy time.`, '');
  out.push('| category | self ms | % |', '| --- | ---: | ---: |');
  for (const c of s.byCategory) out.push(`| ${c.category} | ${c.selfMs} | ${c.pctOfBusy} |`);
  out.push('', '| top self time | where | category | self % | total % |', '| --- | --- | --- | ---: | ---: |');
  for (const r of s.topSelf) out.push(`| ${r.name} | ${r.where} | ${r.category} | ${r.selfPct} | ${r.totalPct} |`);
  out.push('', '| top total (inclusive) time | where | category | total % | self % |', '| --- | --- | --- | ---: | ---: |');
  for (const r of s.topTotal) out.push(`| ${r.name} | ${r.where} | ${r.category} | ${r.totalPct} | ${r.selfPct} |`);
  return `${out.join('\n')}\n`;
}

const CAT_COLOR: Record<string, string> = {
  wsgate: '#4e8fd6',
  'http-proxy-3': '#9b6fd1',
  'node core': '#e8a33d',
  GC: '#d9534f',
  'native/program': '#999999',
  native: '#bbbbbb',
  pino: '#5cb85c',
  'prom-client': '#3fb6a8',
};

/** Icicle flame graph of busy time (idle left out); identical sibling frames are merged. */
export function flameSvg(title: string, p: CpuProfile, window?: Window): string {
  const durations = sampleDurations(p, window);
  interface F { name: string; cat: string; where: string; self: number; total: number; kids: Map<string, F> }
  const byId = new Map<number, CpuProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfOf = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfOf.set(p.samples[i]!, (selfOf.get(p.samples[i]!) ?? 0) + durations[i]!);
  const root = p.nodes.find((n) => n.callFrame.functionName === '(root)') ?? p.nodes[0]!;
  const build = (n: CpuProfileNode, into: F) => {
    for (const cid of n.children ?? []) {
      const c = byId.get(cid)!;
      if (c.callFrame.functionName === '(idle)') continue;
      const name = c.callFrame.functionName || '(anonymous)';
      const k = `${name}@${c.callFrame.url}:${c.callFrame.lineNumber}`;
      let f = into.kids.get(k);
      if (!f) {
        f = { name, cat: categoryOf(c.callFrame), where: c.callFrame.url ? `${shortUrl(c.callFrame.url)}:${c.callFrame.lineNumber + 1}` : '', self: 0, total: 0, kids: new Map() };
        into.kids.set(k, f);
      }
      f.self += selfOf.get(c.id) ?? 0;
      build(c, f);
    }
  };
  const top: F = { name: 'all (busy)', cat: 'native', where: '', self: 0, total: 0, kids: new Map() };
  build(root, top);
  const sum = (f: F): number => (f.total = f.self + [...f.kids.values()].reduce((s, k) => s + sum(k), 0));
  sum(top);
  const W = 1200;
  const ROW = 16;
  const rects: string[] = [];
  let maxDepth = 0;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const draw = (f: F, x: number, depth: number, width: number) => {
    if (width < 0.5) return;
    maxDepth = Math.max(maxDepth, depth);
    const y = 40 + depth * ROW;
    const pct = ((100 * f.total) / (top.total || 1)).toFixed(1);
    rects.push(
      `<g><title>${esc(`${f.name} ${f.where} — ${pct}% (${f.cat})`)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${ROW - 1}" fill="${CAT_COLOR[f.cat] ?? '#c9b458'}" rx="1"/>` +
        (width > 50 ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11}" font-size="10" fill="#111">${esc(f.name.slice(0, Math.floor(width / 6.2)))}</text>` : '') +
        '</g>',
    );
    let cx = x;
    for (const k of [...f.kids.values()].sort((a, b) => b.total - a.total)) {
      const w = (k.total / (f.total || 1)) * width;
      draw(k, cx, depth + 1, w);
      cx += w;
    }
  };
  draw(top, 10, 0, W - 20);
  const H = 40 + (maxDepth + 1) * ROW + 30;
  const legend = Object.entries(CAT_COLOR)
    .map(([c, col], i) => `<rect x="${10 + i * 130}" y="${H - 20}" width="10" height="10" fill="${col}"/><text x="${24 + i * 130}" y="${H - 11}" font-size="10">${esc(c)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="10" y="24" font-size="14" font-weight="bold">${esc(title)}</text>\n` +
    rects.join('\n') +
    legend +
    '</svg>\n'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: cpuprofile-summary FILE.cpuprofile [--top N] [--svg OUT.svg] [--md OUT.md]\n');
    process.exit(2);
  }
  const arg = (n: string) => {
    const i = process.argv.indexOf(n);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const md = summaryMarkdown(path.basename(file), summarize(profile, Number(arg('--top') ?? 25)));
  const mdOut = arg('--md');
  if (mdOut) fs.writeFileSync(mdOut, md);
  const svgOut = arg('--svg');
  if (svgOut) fs.writeFileSync(svgOut, flameSvg(path.basename(file), profile));
  process.stdout.write(md);
}
