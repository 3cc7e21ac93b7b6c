// Precedence and conflicts, shared by every processor (compile.ts) so that routes of different
// kinds on one socket are ordered and compared by the same rule.

import { MAIN_LISTENER } from './gateway-types.js';
import { templateShape, templateSpecificity } from './template.js';
import type { CompiledRoute } from './types.js';

/**
 * More specific path first, then more match conditions: compared lexicographically, higher
 * first. Conditions: each header, the subprotocol list (one), the method (one), each query
 * parameter; a WebSocketRoute has neither method nor query conditions.
 */
export function rank(r: CompiledRoute): number[] {
  const conditions = r.headers.length + (r.subprotocols.length ? 1 : 0) + (r.method !== undefined ? 1 : 0) + (r.queryParams?.length ?? 0);
  return [...templateSpecificity(r.path), conditions];
}

/** Higher rank first: negative when `a` goes before `b`, 0 on a tie. */
export function compareRank(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return b[i]! - a[i]!;
  }
  return 0;
}

/**
 * Two routes conflict when, on the same socket and a shared host (or both on any host), they
 * have the same path shape and the same extra match conditions: neither could ever be reached
 * reliably. One signature per host ("*" for any).
 */
export function signatures(route: CompiledRoute): Array<{ host: string; sig: string }> {
  return (route.hosts.length ? route.hosts : ['*']).map((host) => ({ host, sig: signature(host, route) }));
}

function signature(host: string, r: CompiledRoute): string {
  const headers = r.headers.map((h) => `${h.name}=${h.value}`).sort().join('&');
  const protocols = [...r.subprotocols].sort().join(',');
  // Method and query conditions narrow a route beyond anything a WebSocketRoute can say: a route
  // with them only conflicts with one that has the same ones.
  const query = (r.queryParams ?? []).map((q) => `${q.name}=${q.value}`).sort().join('&');
  return `${r.listener ?? MAIN_LISTENER} ${host} ${templateShape(r.path)} ${headers} ${protocols} ${r.method ?? ''} ${query}`;
}
