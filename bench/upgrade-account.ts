// The per-microsecond account of one upgrade (issue 27), from the profiles that
// bench/profile-upgrades.ts wrote (run it with --target for each of them first, same --out):
// a Markdown table of µs of CPU per upgrade by component (bench/lib/upgrade-account.ts), one
// column per target, scaled to each target's CPU per upgrade measured without the profiler.
//
// node dist/bench/upgrade-account.js --dir DIR[,DIR...] --targets node-relay,wsgate,wsgate-features
//   [--cpu node-relay=270,wsgate=480,wsgate-features=700]
// Several --dir (one profiled run of each target in each): the mean of the runs.
// --cpu: the unprofiled CPU per upgrade of each target (medians of --no-profile runs in one
// alternation); without it the columns are the profiled run's /proc CPU.

import fs from 'node:fs';
import path from 'node:path';
import type { CpuProfile } from './cpuprofile-summary.js';
import { accountRows, type AccountRow, type ProfileFigures } from './lib/upgrade-account.js';

const opt = (n: string) => {
  const i = process.argv.indexOf(n);
  return i === -1 ? undefined : process.argv[i + 1];
};
const dirs = (opt('--dir') ?? 'bench/results/profile').split(',').map((d) => path.resolve(d));
const targets = (opt('--targets') ?? 'node-relay,wsgate,wsgate-features').split(',');
const unprofiled = new Map((opt('--cpu') ?? '').split(',').filter(Boolean).map((kv) => {
  const [k, v] = kv.split('=');
  return [k!, Number(v)] as const;
}));

interface Column {
  target: string;
  figures: ProfileFigures;
  /** Each component's µs of CPU per upgrade: its share of the sampled busy time times the main thread's CPU. */
  rows: Map<string, AccountRow>;
  /** The process's other threads, µs of CPU per upgrade. */
  otherThreadsUs: number;
  /** Unprofiled CPU over the profiled /proc CPU. */
  scale: number;
}

/** One profiled run of `target` in `from`: µs per upgrade by component (the main thread's CPU spread by the samples' shares). */
function run(from: string, target: string): { figures: ProfileFigures; rows: AccountRow[] } {
  const base = target === 'wsgate' ? 'upgrades-fixed' : `upgrades-fixed-${target}`;
  const figures = JSON.parse(fs.readFileSync(path.join(from, `${base}.json`), 'utf8')) as ProfileFigures;
  const profile = JSON.parse(fs.readFileSync(path.join(from, `${target}-upgrades-fixed.cpuprofile`), 'utf8')) as CpuProfile;
  const sampled = accountRows(profile, figures, figures.upgrades);
  const sampledUs = sampled.reduce((s, r) => s + r.sampledUs, 0);
  return { figures, rows: sampled.map((r) => ({ ...r, sampledUs: (r.sampledUs / sampledUs) * figures.mainThreadCpuUsPerUpgrade })) };
}

/** The mean of the runs in every --dir: one profile's shares move by several µs with what else runs. */
const columns: Column[] = targets.map((target) => {
  const runs = dirs.map((d) => run(d, target));
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  const rows = new Map<string, AccountRow>();
  for (const r of runs) {
    for (const row of r.rows) {
      const into = rows.get(row.name) ?? { ...row, sampledUs: 0 };
      into.sampledUs += row.sampledUs / runs.length;
      rows.set(row.name, into);
    }
  }
  const figures: ProfileFigures = {
    ...runs[0]!.figures,
    upgrades: mean((r) => r.figures.upgrades),
    cpuUsPerUpgrade: mean((r) => r.figures.cpuUsPerUpgrade),
    mainThreadCpuUsPerUpgrade: mean((r) => r.figures.mainThreadCpuUsPerUpgrade),
  };
  const cpu = unprofiled.get(target) ?? figures.cpuUsPerUpgrade;
  return { target, figures, rows, otherThreadsUs: figures.cpuUsPerUpgrade - figures.mainThreadCpuUsPerUpgrade, scale: cpu / figures.cpuUsPerUpgrade };
});

// Every component of any column, Node's first, in the order of the last column's size.
const names = new Map<string, AccountRow['owner']>();
for (const c of [...columns].reverse()) for (const r of c.rows.values()) if (!names.has(r.name)) names.set(r.name, r.owner);
const ordered = [...names.entries()].sort(([a, oa], [b, ob]) => (oa === ob ? size(b) - size(a) : oa === 'node' ? -1 : 1));
function size(name: string): number {
  return Math.max(...columns.map((c) => c.rows.get(name)?.sampledUs ?? 0));
}

const us = (x: number) => String(Math.round(x));
const out: string[] = [];
out.push(`| component (µs of CPU per upgrade) | owner | ${columns.map((c) => c.target).join(' | ')} |`);
out.push(`| --- | --- | ${columns.map(() => '---:').join(' | ')} |`);
for (const [name, owner] of ordered) {
  out.push(`| ${name} | ${owner === 'node' ? 'Node (relay too)' : 'wsgate'} | ${columns.map((c) => us((c.rows.get(name)?.sampledUs ?? 0) * c.scale)).join(' | ')} |`);
}
const sum = (c: Column, owner: AccountRow['owner']) => [...c.rows.values()].filter((r) => r.owner === owner).reduce((s, r) => s + r.sampledUs, 0) * c.scale;
out.push(`| **Node's own work (main thread)** | | ${columns.map((c) => `**${us(sum(c, 'node'))}**`).join(' | ')} |`);
out.push(`| **wsgate's own work (main thread)** | | ${columns.map((c) => `**${us(sum(c, 'wsgate'))}**`).join(' | ')} |`);
out.push(`| the process's other threads (libuv thread pool, V8 background GC and compiler) | | ${columns.map((c) => us(c.otherThreadsUs * c.scale)).join(' | ')} |`);
out.push(`| **total (CPU per upgrade${unprofiled.size ? ', unprofiled' : ', under the profiler'})** | | ${columns.map((c) => `**${us(c.figures.cpuUsPerUpgrade * c.scale)}**`).join(' | ')} |`);
out.push('');
out.push(
  `Profiled runs (${dirs.length} per target, ${columns[0]?.figures.upgrades ?? 0} upgrades each; means), /proc CPU per upgrade under --cpu-prof, all threads / main thread: ${columns.map((c) => `${c.target} ${us(c.figures.cpuUsPerUpgrade)} / ${us(c.figures.mainThreadCpuUsPerUpgrade)}`).join('; ')}. ` +
    'The main thread\'s CPU is spread over the components by their share of its sampled busy time.' +
    (unprofiled.size ? ` Each column is then scaled by the target's unprofiled CPU over its profiled CPU (${columns.map((c) => `${c.target} ×${c.scale.toFixed(2)}`).join(', ')}).` : ''),
);
process.stdout.write(`${out.join('\n')}\n`);
