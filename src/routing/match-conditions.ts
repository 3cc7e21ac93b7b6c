import type { CompiledRoute, RouteRequest } from './types.js';

/** The route's method, query, header and subprotocol conditions, checked once its path matched. */
export function conditionsMatch(route: CompiledRoute, req: RouteRequest): boolean {
  if (route.listenerHostname !== undefined && route.listenerHostname !== req.listenerHostname) return false;
  // A request without a method is an upgrade, and an upgrade is a GET.
  if (route.method !== undefined && route.method !== (req.method ?? 'GET')) return false;
  if (route.subprotocols.length > 0 && !route.subprotocols.some((p) => req.subprotocols.includes(p))) {
    return false;
  }
  for (const h of route.headers) {
    if (req.header(h.name) !== h.value) return false;
  }
  const params = route.queryParams;
  if (params !== undefined && params.length > 0) {
    const query = parsedQuery(req.query ?? '');
    for (const q of params) {
      if (query.get(q.name) !== q.value) return false;
    }
  }
  return true;
}

// One lookup checks the conditions of several routes against the same request: the query is
// parsed once (for the first route that has query conditions) and kept until a different query
// string comes. Lookups are synchronous, so one slot is enough; only routes with query
// conditions pay for it.
let lastQuery: string | undefined;
let lastParsed: URLSearchParams = new URLSearchParams();

/**
 * The request's query parameters, decoded as URLSearchParams does. `get` answers the first value
 * of a repeated name, which the Gateway API allows ("the first one SHOULD be used").
 */
function parsedQuery(query: string): URLSearchParams {
  if (query !== lastQuery) {
    lastParsed = new URLSearchParams(query);
    lastQuery = query;
  }
  return lastParsed;
}
