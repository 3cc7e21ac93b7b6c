// The lookup the table did before it had a trie, kept as the oracle for the trie tests: per host
// group, a scan of the routes in precedence order, first path-and-conditions match wins; only
// the routes of the request's socket (absent on either side: the main one).

import { MAIN_LISTENER } from '../../src/routing/gateway-types.js';
import type { RouteMatch, RouteRequest } from '../../src/routing/table.js';
import { matchTemplate } from '../../src/routing/template.js';
import type { CompiledRoute } from '../../src/routing/types.js';

export function linearLookup(routes: readonly CompiledRoute[], req: RouteRequest): RouteMatch | null {
  const exact: CompiledRoute[] = [];
  const wild = new Map<string, CompiledRoute[]>();
  const anyHost: CompiledRoute[] = [];
  const socket = req.listener ?? MAIN_LISTENER;
  for (const route of routes) {
    if ((route.listener ?? MAIN_LISTENER) !== socket) continue;
    if (route.hosts.length === 0) anyHost.push(route);
    for (const host of route.hosts) {
      if (host.startsWith('*.')) {
        const suffix = host.slice(1);
        wild.set(suffix, [...(wild.get(suffix) ?? []), route]);
      } else if (host === req.host) exact.push(route);
    }
  }
  const wildcards = [...wild].sort((a, b) => b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1));
  const groups = [
    exact,
    ...wildcards.filter(([suffix]) => req.host.length > suffix.length && req.host.endsWith(suffix)).map(([, list]) => list),
    anyHost,
  ];
  for (const group of groups) {
    for (const route of group) {
      if (route.subprotocols.length > 0 && !route.subprotocols.some((p) => req.subprotocols.includes(p))) continue;
      if (route.headers.some((h) => req.header(h.name) !== h.value)) continue;
      if (route.method !== undefined && route.method !== (req.method ?? 'GET')) continue;
      const query = new URLSearchParams(req.query ?? '');
      if ((route.queryParams ?? []).some((q) => query.get(q.name) !== q.value)) continue;
      const params = matchTemplate(route.path, req.path);
      if (params) return { route, params };
    }
  }
  return null;
}
