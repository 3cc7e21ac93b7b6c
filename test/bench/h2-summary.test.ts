// The HTTP/2 scenarios' arithmetic (bench/lib/h2-summary.ts) and their part of latest.md
// (bench/lib/h2-report.ts through bench/report.ts): medians over rounds, the ratios of wsgate to
// its peers over h2 and HTTP/1.1, WebSockets over h2 against HTTP/1.1, and issue 25's goals.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { echoSummary, h2Goals, h2Ratios, requestSummary, type H2Results } from '../../bench/lib/h2-summary.js';
import { renderMarkdown } from '../../bench/report.js';
import { benchResult } from './report-fixture.js';

const req = (requestsPerSecond: number, proxyCpuUsPerRequest: number) => requestSummary([{ requestsPerSecond, proxyCpuUsPerRequest, requestMeanMs: 10, requestSdMs: 1, failed: 0 }]);
const echo = (msgsPerSecond: number, proxyCpuUsPerMsg: number) => echoSummary([{ msgsPerSecond, proxyCpuUsPerMsg }]);

const RESULTS: H2Results = {
  requests: {
    h2: { 'wsgate-tls': req(9000, 60), 'nginx-tls': req(10000, 40), 'haproxy-tls': req(12000, 30), 'caddy-tls': req(6000, 90) },
    h1: { 'wsgate-tls': req(8000, 70), 'nginx-tls': req(8000, 35) },
  },
  webSockets: {
    '100x32B': {
      h2: { 'wsgate-tls': echo(40000, 12), 'haproxy-tls': echo(50000, 8) },
      h1: { 'wsgate-tls': echo(50000, 10), 'haproxy-tls': echo(55000, 8) },
    },
    '100x4096B': {
      h2: { 'wsgate-tls': echo(20000, 30) },
      h1: { 'wsgate-tls': echo(25000, 20) },
    },
  },
};

test('requestSummary / echoSummary: medians over rounds, failures summed, every round kept', () => {
  const rounds = [
    { requestsPerSecond: 100, proxyCpuUsPerRequest: 50, requestMeanMs: 3, requestSdMs: 1, failed: 2 },
    { requestsPerSecond: 300, proxyCpuUsPerRequest: 10, requestMeanMs: 1, requestSdMs: 3, failed: 0 },
    { requestsPerSecond: 200, proxyCpuUsPerRequest: 30, requestMeanMs: 2, requestSdMs: 2, failed: 1 },
  ];
  const s = requestSummary(rounds);
  assert.deepEqual([s.requestsPerSecond, s.proxyCpuUsPerRequest, s.requestMeanMs, s.requestSdMs, s.failed], [200, 30, 2, 2, 3]);
  assert.equal(s.rounds, rounds);
  const e = echoSummary([{ msgsPerSecond: 10, proxyCpuUsPerMsg: 4 }, { msgsPerSecond: 30, proxyCpuUsPerMsg: 2 }]);
  assert.deepEqual([e.msgsPerSecond, e.proxyCpuUsPerMsg], [20, 3]);
});

test('h2Ratios: wsgate against each peer over h2 and HTTP/1.1; a peer not run gives NaN, not a number', () => {
  const r = h2Ratios(RESULTS);
  assert.equal(r.h2RequestsVsNginx, 0.9);
  assert.equal(r.h2CpuPerRequestVsNginx, 1.5);
  assert.equal(r.h1RequestsVsNginx, 1);
  assert.equal(r.h1CpuPerRequestVsNginx, 2);
  assert.equal(r.h2RequestsVsHaproxy, 0.75);
  assert.equal(r.h2RequestsVsCaddy, 1.5);
  assert.ok(Number.isNaN(r.h1RequestsVsCaddy));
  assert.equal(r.h2VsH1Requests, 1.13); // 1.125, to 3 significant digits
  assert.equal(r.h2VsH1CpuPerRequest, 0.857);
});

test('h2Ratios: WebSockets over h2 against HTTP/1.1, per config and as a geometric mean, for wsgate and each peer that takes them', () => {
  const r = h2Ratios(RESULTS);
  assert.deepEqual(r.wsH2VsH1CpuPerMessageByConfig, { '100x32B': 1.2, '100x4096B': 1.5 });
  assert.equal(r.wsH2VsH1CpuPerMessage, Number(Math.sqrt(1.2 * 1.5).toPrecision(3)));
  assert.deepEqual(r.wsH2VsH1MsgsPerSecondByConfig, { '100x32B': 0.8, '100x4096B': 0.8 });
  assert.equal(r.wsH2VsH1MsgsPerSecond, 0.8);
  assert.deepEqual(r.wsH2VsH1CpuPerMessageByTarget, { 'wsgate-tls': r.wsH2VsH1CpuPerMessage, 'haproxy-tls': 1 });
});

test('h2Goals: requests/s over h2 at least nginx\'s, WebSocket CPU per message over h2 at most 1.2x HTTP/1.1; unmeasured is undefined', () => {
  assert.deepEqual(h2Goals(h2Ratios(RESULTS)), { h2RequestsPerSecondAtLeastNginx: false, wsH2CpuPerMessageAtMost1_2xH1: false });
  assert.deepEqual(h2Goals({ h2RequestsVsNginx: 1, wsH2VsH1CpuPerMessage: 1.2 }), { h2RequestsPerSecondAtLeastNginx: true, wsH2CpuPerMessageAtMost1_2xH1: true });
  assert.deepEqual(h2Goals({ h2RequestsVsNginx: Number.NaN }), { h2RequestsPerSecondAtLeastNginx: undefined, wsH2CpuPerMessageAtMost1_2xH1: undefined });
});

test('latest.md: the HTTP/2 table, nginx and Caddy marked as having no RFC 8441 instead of a number, the ratios and the goals', () => {
  const ratios = h2Ratios(RESULTS);
  const md = renderMarkdown(
    benchResult({
      h2: RESULTS,
      ratios,
      targetsMet: h2Goals(ratios),
      setup: {
        ...benchResult({}).setup,
        requests: [
          { protocol: 'h2', connections: 10, streamsPerConnection: 10 },
          { protocol: 'h1', connections: 100, streamsPerConnection: 1 },
        ],
        webSocketsOverH2: { configs: ['100x32B', '100x4096B'], streamsPerSession: 10 },
      },
    }),
  );
  assert.match(md, /^\| HTTP\/2 and HTTP\/1\.1 over TLS \| wsgate \| nginx \| HAProxy \| Caddy \|$/m);
  assert.match(md, /^\| requests\/s over h2 \(10 conns × 10 streams\) \| 9,000 \| 10,000 \| 12,000 \| 6,000 \|$/m);
  assert.match(md, /^\| requests\/s over HTTP\/1\.1 \(100 conns\) \| 8,000 \| 8,000 \| – \| – \|$/m);
  assert.match(md, /^\| proxy CPU µs per request over h2 \| 60 \| 40 \| 30 \| 90 \|$/m);
  assert.match(md, /^\| WebSocket echo msgs\/s over h2 \(RFC 8441, 10 per connection\), 100x32B \| 40,000 \| no RFC 8441 in nginx \| 50,000 \| no RFC 8441 in Caddy 2\.6 \|$/m);
  assert.match(md, /^\| requests\/s over h2 \| 0\.90 \| 0\.75 \| 1\.50 \|$/m);
  assert.match(md, /proxy CPU per message 1\.34 \(HAProxy's: 1\.00;/);
  assert.match(md, /Targets \(issue 25\): requests\/s over h2 ≥ 1\.0× nginx's: \*\*not met\*\*; CPU per message of a WebSocket over h2 ≤ 1\.2× over HTTP\/1\.1: \*\*not met\*\*\./);
});

test('latest.md: a result without the HTTP/2 scenarios has no HTTP/2 table', () => {
  assert.doesNotMatch(renderMarkdown(benchResult({})), /HTTP\/2/);
});

test('the floor (node-relay-tls): wsgate against it over h2 and HTTP/1.1, the floor against nginx, its column and ratio column in latest.md', () => {
  const withFloor: H2Results = {
    requests: {
      h2: { ...RESULTS.requests.h2, 'node-relay-tls': req(18000, 50) },
      h1: { ...RESULTS.requests.h1, 'node-relay-tls': req(16000, 56) },
    },
    webSockets: RESULTS.webSockets,
  };
  const ratios = h2Ratios(withFloor);
  assert.equal(ratios.h2RequestsVsNodeRelay, 0.5);
  assert.equal(ratios.h1RequestsVsNodeRelay, 0.5);
  assert.equal(ratios.h2CpuPerRequestVsNodeRelay, 1.2);
  assert.equal(ratios.h1CpuPerRequestVsNodeRelay, 1.25);
  assert.equal(ratios.h2NodeRelayCpuPerRequestVsNginx, 1.25);
  assert.equal(ratios.h1NodeRelayCpuPerRequestVsNginx, 1.6);
  const md = renderMarkdown(benchResult({ h2: withFloor, ratios, targetsMet: h2Goals(ratios), setup: { ...benchResult({}).setup, webSocketsOverH2: { configs: ['100x32B'], streamsPerSession: 10 } } }));
  assert.match(md, /^\| HTTP\/2 and HTTP\/1\.1 over TLS \| wsgate \| nginx \| HAProxy \| Caddy \| bare Node relay \|$/m);
  assert.match(md, /^\| proxy CPU µs per request over HTTP\/1\.1 \| 70 \| 35 \| – \| – \| 56 \|$/m);
  // The floor takes no WebSockets: the rows say so on both transports instead of "not measured".
  assert.match(md, /^\| WebSocket echo msgs\/s over HTTP\/1\.1 \(wss:\/\/\), 100x32B \| 50,000 \| not measured \| 55,000 \| not measured \| plain requests only \|$/m);
  assert.match(md, /^\| wsgate ratio, TLS listeners \| vs nginx \| vs HAProxy \| vs Caddy \| vs bare Node relay \|$/m);
  assert.match(md, /^\| proxy CPU per request over h2 \(lower is better\) \| 1\.50 \| 2\.00 \| 0\.67 \| 1\.20 \|$/m);
  assert.match(md, /The floor \(bare Node relay\) against nginx, proxy CPU per request: over h2 1\.25, over HTTP\/1\.1 1\.60/);
});

test('wsgate-alt-tls (another build, opt-in): its ratios to wsgate-tls and a line in latest.md only when it ran', () => {
  const withAlt: H2Results = {
    requests: { h2: { ...RESULTS.requests.h2, 'wsgate-alt-tls': req(9900, 48) }, h1: RESULTS.requests.h1 },
    webSockets: {},
  };
  const ratios = h2Ratios(withAlt);
  assert.equal(ratios.h2AltCpuPerRequestVsWsgate, 0.8);
  assert.equal(ratios.h2AltRequestsVsWsgate, 1.1);
  assert.equal(ratios.h1AltCpuPerRequestVsWsgate, undefined);
  assert.equal(h2Ratios(RESULTS).h2AltCpuPerRequestVsWsgate, undefined);
  const md = renderMarkdown(benchResult({ h2: withAlt, ratios, targetsMet: h2Goals(ratios) }));
  assert.match(md, /^\| HTTP\/2 and HTTP\/1\.1 over TLS \| wsgate \| wsgate \(alt build\) \| nginx \| HAProxy \| Caddy \|$/m);
  assert.match(md, /wsgate \(alt build\) against wsgate, proxy CPU per request: over h2 0\.80, over HTTP\/1\.1 –; requests\/s: 1\.10 and –\./);
});
