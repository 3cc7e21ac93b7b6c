// The arithmetic of the HTTP/2 scenarios (bench/h2.ts; pure): medians over rounds per target,
// the ratios of wsgate to nginx, HAProxy and Caddy with h2 downstream, WebSockets over h2
// against WebSockets over HTTP/1.1, and issue 25's goals.

import type { RequestProtocol } from './h2load.js';
import { geomean, median, ratio, round } from './stats.js';

/** One round of the request scenario, as bench/h2.ts measures it (the fields this file reads). */
export interface RequestRound {
  requestsPerSecond: number;
  proxyCpuUsPerRequest: number;
  requestMeanMs: number;
  requestSdMs: number;
  failed: number;
}

export interface RequestSummary {
  requestsPerSecond: number;
  proxyCpuUsPerRequest: number;
  requestMeanMs: number;
  requestSdMs: number;
  /** Summed over rounds. */
  failed: number;
  rounds: RequestRound[];
}

/** One round of the WebSocket echo over one transport (the fields of a throughput sample this file reads). */
export interface EchoRound {
  msgsPerSecond: number;
  proxyCpuUsPerMsg: number;
}

export interface EchoSummary {
  msgsPerSecond: number;
  proxyCpuUsPerMsg: number;
  rounds: EchoRound[];
}

export type WebSocketTransport = 'h1' | 'h2';

export interface H2Results {
  /** Per protocol, per target (`wsgate-tls`, `nginx-tls`, ...). */
  requests: Partial<Record<RequestProtocol, Record<string, RequestSummary>>>;
  /** Per echo config (`100x32B`), per transport, per target that takes WebSockets over h2. */
  webSockets: Record<string, Partial<Record<WebSocketTransport, Record<string, EchoSummary>>>>;
}

export function requestSummary<R extends RequestRound>(rounds: R[]): RequestSummary & { rounds: R[] } {
  return {
    requestsPerSecond: round(median(rounds.map((s) => s.requestsPerSecond))),
    proxyCpuUsPerRequest: round(median(rounds.map((s) => s.proxyCpuUsPerRequest))),
    requestMeanMs: round(median(rounds.map((s) => s.requestMeanMs))),
    requestSdMs: round(median(rounds.map((s) => s.requestSdMs))),
    failed: rounds.reduce((n, s) => n + s.failed, 0),
    rounds,
  };
}

export function echoSummary<R extends EchoRound>(rounds: R[]): EchoSummary & { rounds: R[] } {
  return {
    msgsPerSecond: round(median(rounds.map((s) => s.msgsPerSecond))),
    proxyCpuUsPerMsg: round(median(rounds.map((s) => s.proxyCpuUsPerMsg))),
    rounds,
  };
}

/**
 * The peers with h2 downstream, by the suffix of their ratio keys. `node-relay-tls` is the
 * floor (bench/node-relay-tls.ts): Node's http2 and http modules relaying with nothing else.
 */
export const H2_PEERS = [
  ['Nginx', 'nginx-tls'],
  ['Haproxy', 'haproxy-tls'],
  ['Caddy', 'caddy-tls'],
  ['NodeRelay', 'node-relay-tls'],
] as const;

export const NODE_RELAY_H2 = 'node-relay-tls';

export const WSGATE_H2 = 'wsgate-tls';
/** Another build of wsgate on the same kind of listener (opt-in, for A/B runs). */
export const WSGATE_ALT_H2 = 'wsgate-alt-tls';

export interface H2Ratios {
  [key: string]: number | Record<string, number>;
}

/**
 * wsgate against each peer, requests/s and proxy CPU per request, over h2 and over HTTP/1.1
 * (`h2RequestsVsNginx`, `h1CpuPerRequestVsCaddy`, `h2CpuPerRequestVsNodeRelay`, ...); the floor's
 * CPU per request against nginx's (`h2NodeRelayCpuPerRequestVsNginx`); wsgate's own h2 against HTTP/1.1; and
 * per target that takes WebSockets over h2, CPU per message and messages/s over h2 against
 * HTTP/1.1 (geometric mean over the echo configs; wsgate's as `wsH2VsH1CpuPerMessage`).
 */
export function h2Ratios(r: H2Results): H2Ratios {
  const req = (p: RequestProtocol, t: string, k: 'requestsPerSecond' | 'proxyCpuUsPerRequest') => r.requests[p]?.[t]?.[k] ?? Number.NaN;
  const out: H2Ratios = {};
  for (const [suffix, peer] of H2_PEERS) {
    for (const p of ['h2', 'h1'] as const) {
      out[`${p}RequestsVs${suffix}`] = ratio(req(p, WSGATE_H2, 'requestsPerSecond'), req(p, peer, 'requestsPerSecond'));
      out[`${p}CpuPerRequestVs${suffix}`] = ratio(req(p, WSGATE_H2, 'proxyCpuUsPerRequest'), req(p, peer, 'proxyCpuUsPerRequest'));
    }
  }
  // Another build of wsgate (`wsgate-alt-tls`, WSGATE_ALT_CLI) against this one, when it ran: an A/B in the same rotation.
  for (const p of ['h2', 'h1'] as const) {
    if (!r.requests[p]?.[WSGATE_ALT_H2]) continue;
    out[`${p}AltRequestsVsWsgate`] = ratio(req(p, WSGATE_ALT_H2, 'requestsPerSecond'), req(p, WSGATE_H2, 'requestsPerSecond'));
    out[`${p}AltCpuPerRequestVsWsgate`] = ratio(req(p, WSGATE_ALT_H2, 'proxyCpuUsPerRequest'), req(p, WSGATE_H2, 'proxyCpuUsPerRequest'));
  }
  // What Node costs per request before wsgate does anything, against nginx.
  for (const p of ['h2', 'h1'] as const) {
    out[`${p}NodeRelayCpuPerRequestVsNginx`] = ratio(req(p, NODE_RELAY_H2, 'proxyCpuUsPerRequest'), req(p, 'nginx-tls', 'proxyCpuUsPerRequest'));
  }
  out.h2VsH1Requests = ratio(req('h2', WSGATE_H2, 'requestsPerSecond'), req('h1', WSGATE_H2, 'requestsPerSecond'));
  out.h2VsH1CpuPerRequest = ratio(req('h2', WSGATE_H2, 'proxyCpuUsPerRequest'), req('h1', WSGATE_H2, 'proxyCpuUsPerRequest'));

  const cpu: Record<string, Record<string, number>> = {};
  const rate: Record<string, Record<string, number>> = {};
  for (const [key, byTransport] of Object.entries(r.webSockets)) {
    for (const t of Object.keys(byTransport.h2 ?? {})) {
      const h2 = byTransport.h2?.[t];
      const h1 = byTransport.h1?.[t];
      if (!h2 || !h1) continue;
      (cpu[t] ??= {})[key] = ratio(h2.proxyCpuUsPerMsg, h1.proxyCpuUsPerMsg);
      (rate[t] ??= {})[key] = ratio(h2.msgsPerSecond, h1.msgsPerSecond);
    }
  }
  const mean = (m: Record<string, number> | undefined) => (m ? round(geomean(Object.values(m)), 3) : Number.NaN);
  out.wsH2VsH1CpuPerMessage = mean(cpu[WSGATE_H2]);
  out.wsH2VsH1CpuPerMessageByConfig = cpu[WSGATE_H2] ?? {};
  out.wsH2VsH1MsgsPerSecond = mean(rate[WSGATE_H2]);
  out.wsH2VsH1MsgsPerSecondByConfig = rate[WSGATE_H2] ?? {};
  out.wsH2VsH1CpuPerMessageByTarget = Object.fromEntries(Object.keys(cpu).map((t) => [t, mean(cpu[t])]));
  return out;
}

/** Issue 25's goals: requests/s over h2 at least nginx's; a WebSocket over h2 at most 1.2x the CPU per message of one over HTTP/1.1. Undefined: not measured. */
export function h2Goals(ratios: H2Ratios): Record<'h2RequestsPerSecondAtLeastNginx' | 'wsH2CpuPerMessageAtMost1_2xH1', boolean | undefined> {
  const met = (x: unknown, ok: (v: number) => boolean) => (typeof x === 'number' && Number.isFinite(x) ? ok(x) : undefined);
  return {
    h2RequestsPerSecondAtLeastNginx: met(ratios.h2RequestsVsNginx, (v) => v >= 1),
    wsH2CpuPerMessageAtMost1_2xH1: met(ratios.wsH2VsH1CpuPerMessage, (v) => v <= 1.2),
  };
}
