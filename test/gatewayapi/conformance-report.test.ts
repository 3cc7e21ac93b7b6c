// The reader of the conformance run's output (e2e/gateway/conformance-report.ts), on text shaped
// like the suite's: `go test -v` lines and a ConformanceReport as --report-output writes it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { claimProblems, parseReport, parseTestLog } from '../../e2e/gateway/conformance-report.js';

const LOG = `=== RUN   TestConformance
=== RUN   TestConformance/HTTPRouteSimpleSameNamespace
=== RUN   TestConformance/HTTPRouteSimpleSameNamespace/Simple_HTTP_request_should_reach_infra-backend
=== PAUSE TestConformance/HTTPRouteSimpleSameNamespace/Simple_HTTP_request_should_reach_infra-backend
=== CONT  TestConformance/HTTPRouteSimpleSameNamespace/Simple_HTTP_request_should_reach_infra-backend
    --- PASS: TestConformance/HTTPRouteSimpleSameNamespace (2.04s)
        --- PASS: TestConformance/HTTPRouteSimpleSameNamespace/Simple_HTTP_request_should_reach_infra-backend (1.00s)
=== RUN   TestConformance/HTTPRouteQueryParamMatching
    http.go:240: Request failed, not ready yet: Get "http://127.30.0.1/": EOF
    assertions.go:364:
        \tError Trace:\t/x/utils/http/http.go:260
        \tError:      \tCondition never satisfied
        \tTest:       \tTestConformance/HTTPRouteQueryParamMatching
        \tMessages:   \tGateway 127.30.0.1 never answered
    --- FAIL: TestConformance/HTTPRouteQueryParamMatching (60.10s)
=== RUN   TestConformance/GatewayWithAttachedRoutes
    --- SKIP: TestConformance/GatewayWithAttachedRoutes (0.00s)
--- FAIL: TestConformance (62.20s)
`;

const REPORT = `apiVersion: gateway.networking.k8s.io/v1
kind: ConformanceReport
date: "2026-12-01T23:00:00Z"
gatewayAPIChannel: standard
gatewayAPIVersion: v1.6.3
implementation:
  contact:
  - wsgate maintainers
  organization: wsgate
  project: wsgate
  url: file:///work/main
  version: 0.1.0+gabc1234
mode: default
profiles:
- core:
    result: success
    statistics:
      Failed: 0
      Passed: 33
      Skipped: 0
  extended:
    result: failure
    statistics:
      Failed: 1
      Passed: 4
      Skipped: 0
    failedTests:
    - HTTPRouteQueryParamMatching
    supportedFeatures:
    - HTTPRouteQueryParamMatching
    - HTTPRouteMethodMatching
    unsupportedFeatures:
    - HTTPRouteCORS
  name: GATEWAY-HTTP
  summary: Core tests succeeded. Extended tests failed with 1 test failures.
`;

describe('conformance run output', () => {
  test('top-level tests with their outcome, time and failure messages; subtests are not tests', () => {
    assert.deepEqual(parseTestLog(LOG), [
      { name: 'HTTPRouteSimpleSameNamespace', outcome: 'PASS', seconds: 2.04, reasons: [] },
      { name: 'HTTPRouteQueryParamMatching', outcome: 'FAIL', seconds: 60.1, reasons: ['Condition never satisfied', 'Gateway 127.30.0.1 never answered'] },
      { name: 'GatewayWithAttachedRoutes', outcome: 'SKIP', seconds: 0, reasons: [] },
    ]);
  });

  test('a claim is proven only when every test of its features passed and every feature was tested', () => {
    const report = parseReport(REPORT);
    assert.deepEqual(claimProblems(report, 'GATEWAY-HTTP', ['Gateway', 'HTTPRoute', 'ReferenceGrant']), []);
    assert.deepEqual(claimProblems(report, 'GATEWAY-HTTP', ['Gateway', 'HTTPRouteMethodMatching', 'HTTPRouteQueryParamMatching', 'HTTPRoutePathRewrite']), [
      'GATEWAY-HTTP extended: result failure',
      'GATEWAY-HTTP extended: HTTPRouteQueryParamMatching failed',
      'GATEWAY-HTTP extended: claimed feature HTTPRoutePathRewrite was not tested',
    ]);
    assert.deepEqual(claimProblems(report, 'GATEWAY-TLS', ['Gateway']), ['the report has no GATEWAY-TLS profile (profiles: GATEWAY-HTTP)']);
  });

  test('skipped tests of a claimed feature count against the claim', () => {
    const report = parseReport(REPORT.replace('    result: success\n', '    result: partial\n    skippedTests:\n    - HTTPRouteWeight\n'));
    assert.deepEqual(claimProblems(report, 'GATEWAY-HTTP', ['Gateway']), ['GATEWAY-HTTP core: result partial', 'GATEWAY-HTTP core: HTTPRouteWeight skipped']);
  });

  test('anything but a ConformanceReport is refused', () => {
    assert.throws(() => parseReport('kind: Gateway\n'), /not a Gateway API ConformanceReport/);
  });
});
