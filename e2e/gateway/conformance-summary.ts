// What `make gateway-conformance` prints after the suite: each top-level test's result and time
// (with the assertion messages of a failure), the counts, the report's per-profile statistics and
// whether the run proves the features wsgate claims.
//
//   node dist/e2e/gateway/conformance-summary.js SUITE_LOG REPORT FEATURES_FILE
// Exit status 1 when the claim is not proven (or the report is missing), else 0.

import fs from 'node:fs';
import { claimProblems, parseReport, parseTestLog, type Outcome } from './conformance-report.js';

const PROFILE = 'GATEWAY-HTTP';
const [logFile, reportFile, featuresCsv] = process.argv.slice(2);
if (!logFile || !reportFile || !featuresCsv) {
  console.error('usage: conformance-summary.js SUITE_LOG REPORT FEATURES_CSV');
  process.exit(2);
}

const tests = parseTestLog(fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
const width = Math.max(20, ...tests.map((t) => t.name.length));
console.log(`\n${'test'.padEnd(width)}  result  time`);
for (const t of tests) {
  console.log(`${t.name.padEnd(width)}  ${t.outcome.padEnd(6)}  ${t.seconds.toFixed(1)} s`);
  for (const r of t.reasons.slice(0, 3)) console.log(`${' '.repeat(width + 2)}${r.slice(0, 200)}`);
}
const count = (o: Outcome): number => tests.filter((t) => t.outcome === o).length;
console.log(`\ntests: ${tests.length}, passed ${count('PASS')}, failed ${count('FAIL')}, skipped ${count('SKIP')}`);

if (!fs.existsSync(reportFile)) {
  console.log(`no report at ${reportFile} (the suite stopped before writing it: see ${logFile})`);
  process.exit(1);
}
const report = parseReport(fs.readFileSync(reportFile, 'utf8'));
for (const p of report.profiles) {
  const s = (x: { statistics: { Passed: number; Failed: number; Skipped: number }; result: string } | undefined): string =>
    x ? `${x.result} (passed ${x.statistics.Passed}, failed ${x.statistics.Failed}, skipped ${x.statistics.Skipped})` : 'none';
  console.log(`profile ${p.name}: core ${s(p.core)}; extended ${s(p.extended)}`);
  if (p.extended?.supportedFeatures?.length) console.log(`  extended features tested: ${p.extended.supportedFeatures.join(', ')}`);
}
const problems = claimProblems(report, PROFILE, featuresCsv.split(','));
if (problems.length === 0) {
  console.log(`every test of the claimed features passed (IMPLEMENTED_FEATURES, src/gatewayapi/translate.ts)`);
} else {
  console.log(`the claim of IMPLEMENTED_FEATURES (src/gatewayapi/translate.ts) is not proven:`);
  for (const p of problems) console.log(`  ${p}`);
  process.exitCode = 1;
}
