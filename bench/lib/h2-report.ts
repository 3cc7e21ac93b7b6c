// The HTTP/2 part of latest.md (issue 25; pure): plain requests over h2 and HTTP/1.1 through
// wsgate, nginx, HAProxy and Caddy on TLS listeners, WebSockets over h2 (RFC 8441) against
// WebSockets over HTTP/1.1, the ratios and the goals.

import { H2_PEERS, NODE_RELAY_H2, WSGATE_ALT_H2, WSGATE_H2, type H2Results, type WebSocketTransport } from './h2-summary.js';
import type { RequestProtocol } from './h2load.js';

const H2_TITLE: Record<string, string> = {
  'wsgate-tls': 'wsgate',
  'wsgate-alt-tls': 'wsgate (alt build)',
  'nginx-tls': 'nginx',
  'haproxy-tls': 'HAProxy',
  'caddy-tls': 'Caddy',
  'node-relay-tls': 'bare Node relay',
};
const H2_ORDER = Object.keys(H2_TITLE);

/** Why a target has no WebSocket-over-h2 cell (instead of an invented number). */
const NO_RFC8441: Record<string, string> = {
  'nginx-tls': 'no RFC 8441 in nginx',
  'caddy-tls': 'no RFC 8441 in Caddy 2.6',
};
/** The targets the WebSocket rows do not run on at all. */
const NO_WEBSOCKETS: Record<string, string> = {
  'node-relay-tls': 'plain requests only',
};

export interface RequestConfigLike {
  protocol: RequestProtocol;
  connections: number;
  streamsPerConnection: number;
}

/** The parts of a bench result (bench/report.ts BenchResult) these tables read. */
export interface H2ReportInput {
  h2?: H2Results;
  ratios: Record<string, unknown>;
  targetsMet: Record<string, boolean | undefined>;
  setup: Record<string, unknown>;
}

function cell(x: number | undefined, digits: number): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits);
}

function inFlight(c: RequestConfigLike | undefined): string {
  if (!c) return '';
  return c.protocol === 'h2' ? `${c.connections} conns × ${c.streamsPerConnection} streams` : `${c.connections} conns`;
}

export function h2Tables(r: H2ReportInput): string[] {
  const h2 = r.h2;
  if (!h2) return [];
  const present = H2_ORDER.filter((t) => Object.values(h2.requests).some((m) => m?.[t]) || Object.values(h2.webSockets).some((row) => row.h2?.[t] || row.h1?.[t]));
  if (!present.length) return [];
  const out = [
    'HTTP/2 on TLS listeners (h2 and http/1.1 by ALPN, one event loop each); plain GETs by h2load to the echo backends\' HTTP answer, WebSockets by the ws generators.',
    '',
    `| HTTP/2 and HTTP/1.1 over TLS | ${present.map((t) => H2_TITLE[t]).join(' | ')} |`,
    `| --- | ${present.map(() => '---:').join(' | ')} |`,
  ];
  const row = (label: string, f: (t: string) => string) => out.push(`| ${label} | ${present.map(f).join(' | ')} |`);
  const configs = (r.setup.requests ?? []) as RequestConfigLike[];
  const cfg = (p: RequestProtocol) => configs.find((c) => c.protocol === p);
  const streamsPerSession = (r.setup.webSocketsOverH2 as { streamsPerSession?: number } | undefined)?.streamsPerSession;
  for (const p of ['h2', 'h1'] as const) {
    const m = h2.requests[p];
    if (!m) continue;
    const name = p === 'h2' ? 'h2' : 'HTTP/1.1';
    row(`requests/s over ${name} (${inFlight(cfg(p))})`, (t) => cell(m[t]?.requestsPerSecond, 0));
    row(`time per request over ${name}, mean ± sd, ms (h2load prints no percentiles)`, (t) => (m[t] ? `${cell(m[t].requestMeanMs, 2)} ± ${cell(m[t].requestSdMs, 2)}` : '–'));
    row(`proxy CPU µs per request over ${name}`, (t) => cell(m[t]?.proxyCpuUsPerRequest, 0));
    if (present.some((t) => (m[t]?.failed ?? 0) > 0)) row(`failed or non-2xx requests over ${name} (all rounds)`, (t) => cell(m[t]?.failed, 0));
  }
  for (const [key, byTransport] of Object.entries(h2.webSockets)) {
    for (const transport of ['h2', 'h1'] as const satisfies readonly WebSocketTransport[]) {
      const m = byTransport[transport];
      if (!m) continue;
      const name = transport === 'h2' ? `h2 (RFC 8441, ${streamsPerSession ?? '?'} per connection)` : 'HTTP/1.1 (wss://)';
      const missing = (t: string) => NO_WEBSOCKETS[t] ?? (transport === 'h2' ? NO_RFC8441[t] : undefined) ?? 'not measured';
      row(`WebSocket echo msgs/s over ${name}, ${key}`, (t) => (m[t] ? cell(m[t].msgsPerSecond, 0) : missing(t)));
      row(`… proxy CPU µs per message`, (t) => (m[t] ? cell(m[t].proxyCpuUsPerMsg, 1) : '–'));
    }
  }
  out.push('');
  const ratio = (k: string) => cell(r.ratios[k] as number | undefined, 2);
  const peers = H2_PEERS.filter(([, peer]) => present.includes(peer));
  if (peers.length && present.includes(WSGATE_H2)) {
    out.push(`| wsgate ratio, TLS listeners | ${peers.map(([, p]) => `vs ${H2_TITLE[p]}`).join(' | ')} |`, `| --- | ${peers.map(() => '---:').join(' | ')} |`);
    for (const [k, label] of [
      ['h2RequestsVs', 'requests/s over h2'],
      ['h1RequestsVs', 'requests/s over HTTP/1.1'],
      ['h2CpuPerRequestVs', 'proxy CPU per request over h2 (lower is better)'],
      ['h1CpuPerRequestVs', 'proxy CPU per request over HTTP/1.1 (lower is better)'],
    ] as const) out.push(`| ${label} | ${peers.map(([suffix]) => ratio(`${k}${suffix}`)).join(' | ')} |`);
    out.push('');
  }
  if (present.includes(WSGATE_ALT_H2) && present.includes(WSGATE_H2)) {
    out.push(`wsgate (alt build) against wsgate, proxy CPU per request: over h2 ${ratio('h2AltCpuPerRequestVsWsgate')}, over HTTP/1.1 ${ratio('h1AltCpuPerRequestVsWsgate')}; requests/s: ${ratio('h2AltRequestsVsWsgate')} and ${ratio('h1AltRequestsVsWsgate')}.`, '');
  }
  if (present.includes(NODE_RELAY_H2) && present.includes('nginx-tls')) {
    out.push(`The floor (bare Node relay) against nginx, proxy CPU per request: over h2 ${ratio('h2NodeRelayCpuPerRequestVsNginx')}, over HTTP/1.1 ${ratio('h1NodeRelayCpuPerRequestVsNginx')} (what Node's http2 and http modules cost before wsgate does anything).`, '');
  }
  out.push(
    `wsgate over h2 against HTTP/1.1: requests/s ${ratio('h2VsH1Requests')}, proxy CPU per request ${ratio('h2VsH1CpuPerRequest')}; ` +
      `WebSockets: messages/s ${ratio('wsH2VsH1MsgsPerSecond')}, proxy CPU per message ${ratio('wsH2VsH1CpuPerMessage')} ` +
      `(HAProxy's: ${cell((r.ratios.wsH2VsH1CpuPerMessageByTarget as Record<string, number> | undefined)?.['haproxy-tls'], 2)}; geometric means over the echo configs).`,
    '',
  );
  const yn = (b: boolean | undefined) => (b === undefined ? 'not measured' : b ? '**met**' : '**not met**');
  out.push(
    `Targets (issue 25): requests/s over h2 ≥ 1.0× nginx's: ${yn(r.targetsMet.h2RequestsPerSecondAtLeastNginx)}; ` +
      `CPU per message of a WebSocket over h2 ≤ 1.2× over HTTP/1.1: ${yn(r.targetsMet.wsH2CpuPerMessageAtMost1_2xH1)}.`,
    '',
  );
  return out;
}
