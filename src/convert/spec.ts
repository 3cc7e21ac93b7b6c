// Assembling a WebSocketRoute in one fixed key order (the order of the CRD and docs/routes.md),
// so the same input always prints the same bytes, whatever order a converter filled it in.

import { API_VERSION, KIND, type HttpMethod, type WebSocketRoute, type WebSocketRouteSpec } from '../api/types.js';

export const ALL_METHODS: HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const SPEC_ORDER: Array<keyof WebSocketRouteSpec> = [
  'className', 'hosts', 'tls', 'match', 'backend', 'loadBalancer', 'rebalance', 'timeouts', 'drain', 'limits', 'security', 'requestHeaders', 'http', 'sessionAffinity',
];
const BACKEND_ORDER = ['service', 'endpoints', 'scheme', 'tls', 'path'] as const;

export function makeRoute(name: string, namespace: string, spec: WebSocketRouteSpec): WebSocketRoute {
  const ordered: Record<string, unknown> = {};
  for (const key of SPEC_ORDER) {
    const v = spec[key];
    if (v === undefined || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) continue;
    ordered[key] = key === 'backend' ? orderBackend(spec.backend) : v;
  }
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec: ordered as unknown as WebSocketRouteSpec };
}

function orderBackend(b: WebSocketRouteSpec['backend']): WebSocketRouteSpec['backend'] {
  const out: Record<string, unknown> = {};
  for (const key of BACKEND_ORDER) if (b[key] !== undefined) out[key] = b[key];
  return out as WebSocketRouteSpec['backend'];
}

/** Methods in the CRD's order, without repeats. */
export function sortMethods(methods: Iterable<HttpMethod>): HttpMethod[] {
  const set = new Set(methods);
  return ALL_METHODS.filter((m) => set.has(m));
}
