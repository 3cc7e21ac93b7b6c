import { RouteIndex } from './route-index.js';
import { captureParams, type PathParams } from './template.js';
import type { TableListener } from './gateway-types.js';
import type { CompiledRoute } from './types.js';

/** What the proxy knows about an upgrade request when it looks up a route. */
export interface RouteRequest {
  /** Host header without port, lower-cased. */
  host: string;
  /** Raw path without the query string. */
  path: string;
  /** Request method, upper-case as sent. */
  method?: string;
  /** Raw query string without the '?' ('' when none). */
  query?: string;
  /** Key of the socket the request arrived on (gateway-types.ts); absent: MAIN_LISTENER. */
  listener?: string;
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

  /**
   * @param routes every accepted route, in precedence order.
   * @param previous a table whose index may be shared when lookup would see the same routes.
   * @param listeners the Gateway sockets the data plane serves besides the main one.
   */
  constructor(
    readonly version: number,
    readonly routes: readonly CompiledRoute[],
    previous?: RoutingTable,
    readonly listeners: readonly TableListener[] = [],
  ) {
    this.index = previous && RouteIndex.reusable(previous.routes, routes) ? previous.index : new RouteIndex(routes);
    Object.freeze(this);
  }

  static empty(): RoutingTable {
    return new RoutingTable(0, []);
  }

  lookup(req: RouteRequest): RouteMatch | null {
    const i = this.index.find(this.routes, req);
    if (i === -1) return null;
    const route = this.routes[i]!;
    // The trie only returns routes whose template matches, so this only captures the values.
    return { route, params: captureParams(route.path, req.path) };
  }

  get(key: string): CompiledRoute | undefined {
    const i = this.index.position(key);
    return i === -1 ? undefined : this.routes[i];
  }
}
