import { RouteIndex } from './route-index.js';
import { matchTemplate, splitPath, type PathParams } from './template.js';
import type { CompiledRoute } from './types.js';

/** What the proxy knows about an upgrade request when it looks up a route. */
export interface RouteRequest {
  /** Host header without port, lower-cased. */
  host: string;
  /** Raw path without the query string. */
  path: string;
  /** Offered subprotocols (Sec-WebSocket-Protocol), in order. */
  subprotocols: readonly string[];
  /** Lower-cased header name -> value (as node gives them). */
  header(name: string): string | undefined;
}

export interface RouteMatch {
  route: CompiledRoute;
  params: PathParams;
}

/**
 * An immutable routing snapshot. Lookup order is: routes for the exact host, then wildcard
 * hosts (longest suffix first), then routes without hosts; inside each group the first route
 * in precedence order (see compile.ts) whose path and conditions match wins. A host map and a
 * path trie per host find it without scanning the routes (route-index.ts).
 */
export class RoutingTable {
  private readonly index: RouteIndex;
  private readonly byKey: Map<string, CompiledRoute>;

  /**
   * @param routes every accepted route, in precedence order.
   * @param previous a table whose index may be shared when lookup would see the same routes.
   */
  constructor(
    readonly version: number,
    readonly routes: readonly CompiledRoute[],
    previous?: RoutingTable,
  ) {
    this.index = previous && RouteIndex.reusable(previous.routes, routes) ? previous.index : new RouteIndex(routes);
    this.byKey = new Map();
    for (const r of routes) if (!this.byKey.has(r.key)) this.byKey.set(r.key, r);
    Object.freeze(this);
  }

  static empty(): RoutingTable {
    return new RoutingTable(0, []);
  }

  lookup(req: RouteRequest): RouteMatch | null {
    const routes = this.routes;
    const i = this.index.find(req.host, splitPath(req.path), (k) => conditionsMatch(routes[k]!, req));
    if (i === -1) return null;
    const route = routes[i]!;
    // The trie only returns routes whose template matches, so this only captures the values.
    const params = matchTemplate(route.path, req.path)!;
    return { route, params };
  }

  get(key: string): CompiledRoute | undefined {
    return this.byKey.get(key);
  }
}

function conditionsMatch(route: CompiledRoute, req: RouteRequest): boolean {
  if (route.subprotocols.length > 0 && !route.subprotocols.some((p) => req.subprotocols.includes(p))) {
    return false;
  }
  for (const h of route.headers) {
    if (req.header(h.name) !== h.value) return false;
  }
  return true;
}
