// A fixed number of upgrades through one wsgate under `node --cpu-prof`: lighter than
// `make bench-profile` (no generator processes, no time-based windows), for the question of
// what one upgrade costs. Connect, open, close with the close handshake, `--concurrency` loops
// at once; a warm-up first, left out of both figures. Prints wsgate's CPU per upgrade from
// /proc (user + system, so time the machine spent on other programs is not in it) and writes
// the profile's summary of the measured window (Markdown) and flame graph (SVG).
//
// node dist/bench/profile-upgrades.js [--upgrades 2000] [--warmup 300] [--concurrency 8]
//   [--log-level info] [--no-profile] [--target wsgate|wsgate-features|wsgate-feature-<f>|node-relay] [--out DIR]
// --no-profile: the CPU figure only, without the profiler's own cost (A/B runs, e.g. of log levels,
// or against --target node-relay, the bare Node.js relay: what Node costs without wsgate's work).
// --target wsgate-features: every route feature on, bench/lib/features.ts, its clients sending
// what passes them; wsgate-feature-<f> (apikey, jwt, origin, headers, affinity, limits): one of
// them. Every target can be profiled, the relay too (the wsgate-feature ones log at info, as in
// the bench); the files are named after the target (upgrades-fixed-<target>.md, .svg, .json
// with the window and the CPU, and <target>-upgrades-fixed.cpuprofile): bench/upgrade-account.ts
// reads them.
// WSGATE_BENCH_CLI=<other build>/dist/src/cli.js measures another build of wsgate.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { flameSvg, summarize, summaryMarkdown, type CpuProfile } from './cpuprofile-summary.js';
import type { ProfileFigures } from './lib/upgrade-account.js';
import { cpuSeconds, machineBusyPercent, machineJiffies } from './lib/proc.js';
import { FEATURE_TARGETS, startBackends, startNodeRelay, startTarget, startWsgate, type Target, type TargetName } from './targets.js';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const REPO = path.resolve(HERE, '../..');
const opt = (n: string) => {
  const i = process.argv.indexOf(n);
  return i === -1 ? undefined : process.argv[i + 1];
};
const upgrades = Number(opt('--upgrades') ?? 2000);
const warmup = Number(opt('--warmup') ?? 300);
const concurrency = Number(opt('--concurrency') ?? 8);
const logLevel = opt('--log-level') ?? 'info';
const profiling = !process.argv.includes('--no-profile');
const outDir = path.resolve(opt('--out') ?? path.join(REPO, 'bench/results/profile'));
const TARGETS: readonly TargetName[] = ['wsgate', 'node-relay', 'wsgate-features', ...FEATURE_TARGETS];
const targetName = (opt('--target') ?? 'wsgate') as TargetName;
if (!TARGETS.includes(targetName)) throw new Error(`--target: ${TARGETS.join(', ')}, not ${targetName}`);
/** The profile's output files: upgrades-fixed.* for the bare route (as before), else named after the target. */
const outBase = targetName === 'wsgate' ? 'upgrades-fixed' : `upgrades-fixed-${targetName}`;

/** `count` upgrades over `concurrency` loops; resolves with the failures. */
function run(target: Target, count: number): Promise<number> {
  let started = 0;
  let failed = 0;
  let live = 0;
  return new Promise((resolve) => {
    const loop = () => {
      if (started >= count) {
        if (--live === 0) resolve(failed);
        return;
      }
      const ws = new WebSocket(target.urls[started++ % target.urls.length]!, { perMessageDeflate: false, ...(target.clientHeaders ? { headers: target.clientHeaders } : {}) });
      ws.on('open', () => ws.close(1000));
      ws.on('error', () => failed++);
      ws.on('close', loop);
    };
    for (let i = 0; i < concurrency; i++) {
      live++;
      loop();
    }
  });
}

const backends = await startBackends(2);
fs.mkdirSync(outDir, { recursive: true });
const profDir = fs.mkdtempSync(path.join(outDir, '.prof-'));
const name = 'wsgate-upgrades-fixed.cpuprofile';
const nodeArgs = profiling ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', name] : [];
const target =
  targetName === 'node-relay'
    ? await startNodeRelay(backends, nodeArgs)
    : targetName === 'wsgate'
      ? await startWsgate(backends, { logLevel, nodeArgs })
      : await startTarget(targetName, backends, { nodeArgs });
try {
  await run(target, warmup);
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  const cpu = () => target.pids().reduce((s, p) => s + cpuSeconds(p), 0);
  // The main thread alone: the one the profiler samples (bench/upgrade-account.ts).
  const mainCpu = () => target.pids().reduce((s, p) => s + cpuSeconds(p, p), 0);
  const main0 = mainCpu();
  const m0 = machineJiffies();
  const c0 = cpu();
  const startUs = nowUs();
  const t0 = performance.now();
  const failed = await run(target, upgrades);
  const seconds = (performance.now() - t0) / 1000;
  const c1 = cpu();
  const main1 = mainCpu();
  const endUs = nowUs();
  const busy = machineBusyPercent(m0, machineJiffies(), os.cpus().length);
  await target.stop();
  const usPer = ((c1 - c0) * 1e6) / upgrades;
  const line =
    `${upgrades} upgrades (${concurrency} loops, after ${warmup} unmeasured, ${targetName === 'node-relay' ? 'bare Node relay' : targetName === 'wsgate' ? `log level ${logLevel}` : `${targetName === 'wsgate-features' ? 'every route feature' : targetName}, log level info`}${profiling ? ', --cpu-prof' : ''}) in ${seconds.toFixed(2)} s: ${Math.round(upgrades / seconds)} /s, ` +
    `${targetName} CPU ${Math.round(usPer)} µs per upgrade (user + system from /proc), ${failed} failed; machine busy ${Math.round(busy)}% of a core during the window (everything, this script included)`;
  if (!profiling) process.stdout.write(`${line}\n`);
  else {
    const file = path.join(profDir, name);
    if (!fs.existsSync(file)) throw new Error(`no profile written at ${file}`);
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    fs.renameSync(file, path.join(outDir, `${targetName}-upgrades-fixed.cpuprofile`));
    const md = `${line}\n\n${summaryMarkdown(`${targetName} under ${upgrades} upgrades`, summarize(profile, 30, { startUs, endUs }))}`;
    fs.writeFileSync(path.join(outDir, `${outBase}.md`), md);
    // The measured window and CPU, for bench/upgrade-account.ts.
    const figures: ProfileFigures = { target: targetName, upgrades, startUs, endUs, cpuUsPerUpgrade: usPer, mainThreadCpuUsPerUpgrade: ((main1 - main0) * 1e6) / upgrades };
    fs.writeFileSync(path.join(outDir, `${outBase}.json`), `${JSON.stringify(figures)}\n`);
    fs.writeFileSync(path.join(outDir, `${outBase}.svg`), flameSvg(`${targetName} --cpu-prof, ${upgrades} upgrades (busy time in the window)`, profile, { startUs, endUs }));
    process.stdout.write(`\n${md}\n`);
  }
} finally {
  fs.rmSync(profDir, { recursive: true, force: true });
  await target.stop();
  await backends.stop();
}
