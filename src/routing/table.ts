import { matchTemplate, type PathParams } from './template.js';
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
 * hosts (longest suffix first), then routes without hosts; inside each group routes are
 * already sorted by precedence (see compile.ts), so the first match wins.
 */
export class RoutingTable {
  private readonly exact = new Map<string, CompiledRoute[]>();
  private readonly wildcards: Array<{ suffix: string; routes: CompiledRoute[] }> = [];
  private readonly anyHost: CompiledRoute[] = [];

  /** @param routes every accepted route, in precedence order. */
  constructor(
    readonly version: number,
    readonly routes: readonly CompiledRoute[],
  ) {
    const wild = new Map<string, CompiledRoute[]>();
    for (const route of routes) {
      if (route.hosts.length === 0) {
        this.anyHost.push(route);
        continue;
      }
      for (const host of route.hosts) {
        if (host.startsWith('*.')) push(wild, host.slice(1), route);
        else push(this.exact, host, route);
      }
    }
    for (const [suffix, list] of wild) this.wildcards.push({ suffix, routes: list });
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length || (a.suffix < b.suffix ? -1 : 1));
    Object.freeze(this);
  }

  static empty(): RoutingTable {
    return new RoutingTable(0, []);
  }

  lookup(req: RouteRequest): RouteMatch | null {
    const exact = this.exact.get(req.host);
    if (exact) {
      const m = firstMatch(exact, req);
      if (m) return m;
    }
    for (const w of this.wildcards) {
      // "*.example.com" matches "a.example.com" and "a.b.example.com", never "example.com".
      if (req.host.length > w.suffix.length && req.host.endsWith(w.suffix)) {
        const m = firstMatch(w.routes, req);
        if (m) return m;
      }
    }
    return firstMatch(this.anyHost, req);
  }

  get(key: string): CompiledRoute | undefined {
    return this.routes.find((r) => r.key === key);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function firstMatch(routes: readonly CompiledRoute[], req: RouteRequest): RouteMatch | null {
  for (const route of routes) {
    if (!conditionsMatch(route, req)) continue;
    const params = matchTemplate(route.path, req.path);
    if (params) return { route, params };
  }
  return null;
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
