// Plain GatewayRouteEntry objects for compiler tests, shaped as src/gatewayapi/translate.ts
// makes them (the behaviour through the translator's own buildBehaviour, so defaults match).

import type { GatewayRouteEntry, RouteBackend } from '../../src/gatewayapi/model.js';
import { buildBehaviour } from '../../src/gatewayapi/policies.js';
import type { WebSocketBehaviourSpec } from '../../src/gatewayapi/types.js';
import { gatewayPortId, MAIN_LISTENER, type GatewayCompileInput } from '../../src/routing/gateway-types.js';
import type { RouteRequest } from '../../src/routing/table.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';

export interface EntryOptions {
  namespace?: string;
  rule?: number;
  match?: number;
  gateway?: string;
  listener?: string;
  port?: number;
  created?: string;
  behaviour?: WebSocketBehaviourSpec;
}

export function entry(name: string, over: Partial<GatewayRouteEntry> = {}, o: EntryOptions = {}): GatewayRouteEntry {
  const namespace = o.namespace ?? 'apps';
  const rule = o.rule ?? 0;
  const match = o.match ?? 0;
  const gw = o.gateway ?? 'gw';
  const listenerName = o.listener ?? 'http';
  const routeKey = `HTTPRoute/${namespace}/${name}`;
  return {
    key: `${routeKey}/rule-${rule}/match-${match}@infra/${gw}/${listenerName}`,
    routeKey,
    ruleKey: `${routeKey}/rule-${rule}`,
    source: { kind: 'HTTPRoute', namespace, name, generation: 3, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ruleIndex: rule, matchIndex: match },
    listener: { gatewayNamespace: 'infra', gatewayName: gw, listenerName, port: o.port ?? 80, protocol: 'HTTP' },
    hostnames: [],
    path: { type: 'PathPrefix', value: '/' },
    headers: [],
    queryParams: [],
    filters: {},
    backends: [service('echo', 8080)],
    timeouts: {},
    websocket: buildBehaviour(o.behaviour ?? {}, namespace, { kind: 'Default' }),
    precedence: [name, rule, match],
    ...over,
  };
}

export function service(name: string, port: number, weight = 1, namespace = 'apps'): RouteBackend {
  return { valid: true, namespace, name, port, weight, scheme: 'ws' };
}

/** Sockets: gateway `gw` port 80 -> "gw-80", `other` port 80 -> "other-80", `main` port 8080 -> MAIN_LISTENER. */
export function gatewayInput(entries: readonly GatewayRouteEntry[], extra: Partial<GatewayCompileInput> = {}): GatewayCompileInput {
  return {
    entries,
    sockets: [
      { key: 'gw-80', address: '10.0.0.1', port: 80, protocol: 'HTTP', certificates: [] },
      { key: 'other-80', address: '10.0.0.2', port: 80, protocol: 'HTTP', certificates: [] },
    ],
    socketOf: {
      [gatewayPortId('infra', 'gw', 80)]: 'gw-80',
      [gatewayPortId('infra', 'other', 80)]: 'other-80',
      [gatewayPortId('infra', 'main', 8080)]: MAIN_LISTENER,
    },
    ...extra,
  };
}

/** Services echo (10.1.0.1-2:8080), other (10.2.0.1:9090), empty (no endpoints), gone: missing. */
export const services: ServiceResolver = (namespace, ref) => {
  const key = `${namespace}/${ref.name}`;
  if (key === 'apps/echo') return { ok: true, endpoints: [makeEndpoint('10.1.0.1', 8080), makeEndpoint('10.1.0.2', 8080, false)] };
  if (key === 'apps/other') return { ok: true, endpoints: [makeEndpoint('10.2.0.1', 9090)] };
  if (key === 'apps/empty') return { ok: true, endpoints: [] };
  return { ok: false, reason: 'ServiceNotFound', message: `Service ${key} not found` };
};

export function request(path: string, o: { host?: string; listener?: string; method?: string; query?: string; headers?: Record<string, string> } = {}): RouteRequest {
  const headers = o.headers ?? {};
  return {
    host: o.host ?? 'h.example',
    path,
    ...(o.method !== undefined ? { method: o.method } : {}),
    ...(o.query !== undefined ? { query: o.query } : {}),
    ...(o.listener !== undefined ? { listener: o.listener } : {}),
    subprotocols: [],
    header: (n) => headers[n],
  };
}
