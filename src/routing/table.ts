import { hostMatches, wildcardSuffix } from '../api/hostnames.js';
import { compareStrings } from '../api/string-order.js';
import { RouteIndex } from './route-index.js';
import { captureParams, type PathParams } from './template.js';
import { MAIN_LISTENER, type TableListener } from './gateway-types.js';
import type { CompiledRoute, RouteRequest } from './types.js';

export type { RouteRequest } from './types.js';

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
  /** Socket key -> the Gateway listener hostnames of its HTTPRoute entries, most specific first. */
  private readonly listenerHostnames: ReadonlyMap<string, readonly string[]>;

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
    const reuse = previous !== undefined && RouteIndex.reusable(previous.routes, routes);
    this.index = reuse ? previous.index : new RouteIndex(routes);
    this.listenerHostnames = reuse ? previous.listenerHostnames : listenerHostnamesBySocket(routes);
    Object.freeze(this);
  }

  static empty(): RoutingTable {
    return new RoutingTable(0, []);
  }

  lookup(req: RouteRequest): RouteMatch | null {
    const hostnames = this.listenerHostnames.get(req.listener ?? MAIN_LISTENER);
    if (hostnames !== undefined) req.listenerHostname = mostSpecificListener(hostnames, req.host);
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

function listenerHostnamesBySocket(routes: readonly CompiledRoute[]): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const r of routes) {
    if (r.listenerHostname === undefined) continue;
    const key = r.listener ?? MAIN_LISTENER;
    let set = sets.get(key);
    if (!set) sets.set(key, (set = new Set()));
    set.add(r.listenerHostname);
  }
  const out = new Map<string, string[]>();
  for (const [key, set] of sets) out.set(key, [...set].sort(bySpecificity));
  return out;
}

/** Exact hostnames, then wildcards by longer suffix, then '' (no hostname). */
function bySpecificity(a: string, b: string): number {
  const rank = (h: string) => (h === '' ? 2 : wildcardSuffix(h) !== undefined ? 1 : 0);
  return rank(a) - rank(b) || b.length - a.length || compareStrings(a, b);
}

/**
 * The Gateway listener a request belongs to on a socket shared by several listeners: the most
 * specific hostname matching its host (`*.example.com` matches any name below example.com), or
 * '' when only a listener without a hostname takes it. No match: undefined (no entry matches).
 */
function mostSpecificListener(hostnames: readonly string[], host: string): string | undefined {
  for (const h of hostnames) {
    if (h === '' || hostMatches(h, host)) return h;
  }
  return undefined;
}
