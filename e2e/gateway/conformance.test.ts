// The upstream Gateway API conformance suite against wsgate (e2e/gateway/conformance.sh, the
// same run as `make gateway-conformance`): every test of the features wsgate claims
// (IMPLEMENTED_FEATURES in src/gatewayapi/translate.ts) must pass, read from the suite's own report.
//
// Needs root, Go, `make build` and the e2e node (make e2e-up as root). Without them it is
// skipped, unless CI=true, where that is a failure. WSGATE_GATEWAY_CONFORMANCE=0 skips it on a
// dev machine (it takes minutes); under CI=true it always runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../test/helpers/wsgate-child.js';
import { clusterDir } from '../helpers/cluster.js';
import { IMPLEMENTED_FEATURES } from '../../src/gatewayapi/translate.js';
import { claimProblems, parseReport, parseTestLog } from './conformance-report.js';

const ci = process.env.CI === 'true';
const reportFile = path.join(clusterDir, 'gateway-conformance-report.yaml');
const logFile = path.join(clusterDir, 'gateway-conformance.log');

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (wsgate binds the Gateway addresses; images go into the node)';
  const go = ['/usr/local/go/bin/go', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'go'))].some((p) => fs.existsSync(p));
  if (!go) return 'Go is not installed (the suite is built from its module)';
  if (!fs.existsSync(path.join(repoRoot, 'dist/src/cli.js'))) return 'dist/ is missing (make build)';
  if (!fs.existsSync(path.join(clusterDir, 'kubeconfig')) || !fs.existsSync(path.join(clusterDir, 'node/containerd/containerd.sock'))) {
    return 'no e2e node (make e2e-up as root starts one)';
  }
  return undefined;
}

const lack = missing();
const skip = ci ? false : process.env.WSGATE_GATEWAY_CONFORMANCE === '0' ? 'WSGATE_GATEWAY_CONFORMANCE=0' : (lack ?? false);

function runScript(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(repoRoot, 'e2e/gateway/conformance.sh')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer): void => {
      output = (output + c.toString()).slice(-200_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

test('Gateway API conformance: GATEWAY-HTTP, every test of the claimed features passes', { skip, timeout: 120 * 60_000 }, async () => {
  assert.equal(lack, undefined, `CI=true, but the conformance run cannot start: ${lack}`);
  fs.rmSync(reportFile, { force: true });
  const { code, output } = await runScript();
  assert.ok(fs.existsSync(reportFile), `no report at ${reportFile} (exit ${code}); output:\n${output.slice(-8000)}`);
  const report = parseReport(fs.readFileSync(reportFile, 'utf8'));
  assert.equal(report.gatewayAPIVersion, 'v1.6.3');
  // conformance.sh installs the experimental channel unless GATEWAY_API_CHANNEL says standard.
  assert.equal(report.gatewayAPIChannel, process.env.GATEWAY_API_CHANNEL ?? 'experimental');
  const claimed: string[] = [...IMPLEMENTED_FEATURES];
  const failed = parseTestLog(fs.readFileSync(logFile, 'utf8')).filter((t) => t.outcome === 'FAIL');
  const problems = claimProblems(report, 'GATEWAY-HTTP', claimed);
  assert.deepEqual(
    problems,
    [],
    `the claim is not proven:\n${problems.join('\n')}\nfailed tests:\n${failed.map((t) => `${t.name}: ${t.reasons.slice(0, 2).join(' | ')}`).join('\n')}`,
  );
  assert.equal(code, 0, `conformance.sh exit ${code}; output:\n${output.slice(-4000)}`);
});
