// Reading what a Gateway API conformance run leaves behind (pure: text in, values out): the
// suite's `go test -v` output, its report (--report-output, confv1.ConformanceReport of
// sigs.k8s.io/gateway-api/conformance/apis/v1) and wsgate's feature list. Used by
// conformance-summary.ts (what `make gateway-conformance` prints) and conformance.test.ts.

import { parse } from 'yaml';

export type Outcome = 'PASS' | 'FAIL' | 'SKIP';

export interface TestResult {
  name: string;
  outcome: Outcome;
  seconds: number;
  /** For a failure: the assertion messages the test printed (testify's Error:/Messages: lines). */
  reasons: string[];
}

// A top-level test of the suite is a subtest of TestConformance, so its result line is indented
// by four spaces; its own subtests (one per request) by eight or more.
const RESULT_LINE = /^ {4}--- (PASS|FAIL|SKIP): TestConformance\/(\S+) \(([\d.]+)s\)$/;
const RUN_LINE = /^=== (?:RUN|CONT|NAME|PAUSE) +TestConformance\/([^/\s]+)/;
const REASON_LINE = /^\s+(?:Error|Messages):\s+(.*\S)\s*$/;

/** The top-level tests of a `go test -v` run of the suite, in the order they finished. */
export function parseTestLog(text: string): TestResult[] {
  const results: TestResult[] = [];
  const reasons = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const run = RUN_LINE.exec(line);
    if (run) {
      current = run[1];
      continue;
    }
    const done = RESULT_LINE.exec(line);
    if (done) {
      const name = done[2]!;
      results.push({ name, outcome: done[1] as Outcome, seconds: Number(done[3]), reasons: done[1] === 'FAIL' ? (reasons.get(name) ?? []) : [] });
      continue;
    }
    const reason = REASON_LINE.exec(line);
    if (reason && current) {
      const list = reasons.get(current) ?? [];
      if (!list.includes(reason[1]!)) list.push(reason[1]!);
      reasons.set(current, list);
    }
  }
  return results;
}

export interface Statistics {
  Passed: number;
  Skipped: number;
  Failed: number;
}

export interface ProfileStatus {
  result: 'success' | 'partial' | 'failure' | string;
  statistics: Statistics;
  skippedTests?: string[];
  failedTests?: string[];
}

export interface ProfileReport {
  name: string;
  summary: string;
  core: ProfileStatus;
  extended?: ProfileStatus & { supportedFeatures?: string[]; unsupportedFeatures?: string[] };
}

export interface ConformanceReport {
  apiVersion: string;
  kind: string;
  implementation: { organization: string; project: string; url: string; version: string; contact: string[] };
  date: string;
  gatewayAPIVersion: string;
  gatewayAPIChannel: string;
  mode: string;
  profiles: ProfileReport[];
}

export function parseReport(text: string): ConformanceReport {
  const r = parse(text) as Partial<ConformanceReport> | null;
  if (!r || r.kind !== 'ConformanceReport' || !Array.isArray(r.profiles)) {
    throw new Error('not a Gateway API ConformanceReport (kind ConformanceReport with profiles)');
  }
  return r as ConformanceReport;
}

// What the profiles add by themselves (utils/suite/profiles.go: CoreFeatures). Their tests are
// counted under `core`, every other claimed feature's under `extended`.
export const PROFILE_CORE_FEATURES: Record<string, readonly string[]> = {
  'GATEWAY-HTTP': ['Gateway', 'HTTPRoute', 'ReferenceGrant'],
};

/**
 * Why the report does not prove the claim "every test of these features passes" for a profile
 * (empty: it does). A skipped test counts against the claim: it proved nothing.
 */
export function claimProblems(report: ConformanceReport, profileName: string, claimed: readonly string[]): string[] {
  const problems: string[] = [];
  const profile = report.profiles.find((p) => p.name === profileName);
  if (!profile) return [`the report has no ${profileName} profile (profiles: ${report.profiles.map((p) => p.name).join(', ') || 'none'})`];
  const check = (part: string, s: ProfileStatus | undefined): void => {
    if (!s) return void problems.push(`${profileName} ${part}: missing from the report`);
    if (s.result !== 'success') problems.push(`${profileName} ${part}: result ${s.result}`);
    for (const t of s.failedTests ?? []) problems.push(`${profileName} ${part}: ${t} failed`);
    for (const t of s.skippedTests ?? []) problems.push(`${profileName} ${part}: ${t} skipped`);
  };
  check('core', profile.core);
  if (profile.core && profile.core.statistics.Passed === 0) problems.push(`${profileName} core: no test passed`);
  const core = PROFILE_CORE_FEATURES[profileName] ?? [];
  const extended = claimed.filter((f) => !core.includes(f));
  if (extended.length > 0) {
    check('extended', profile.extended);
    const tested = new Set(profile.extended?.supportedFeatures ?? []);
    for (const f of extended) if (!tested.has(f)) problems.push(`${profileName} extended: claimed feature ${f} was not tested`);
  }
  return problems;
}
