import type { RouteRequest } from './table.js';
import type { CompiledRoute } from './types.js';

/** The route's header and subprotocol conditions, checked once its path matched. */
export function conditionsMatch(route: CompiledRoute, req: RouteRequest): boolean {
  if (route.subprotocols.length > 0 && !route.subprotocols.some((p) => req.subprotocols.includes(p))) {
    return false;
  }
  for (const h of route.headers) {
    if (req.header(h.name) !== h.value) return false;
  }
  return true;
}
