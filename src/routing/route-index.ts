// The lookup structure of one routing table: per data-plane socket (route.listener), a map from
// host to a path trie, one trie per wildcard suffix, and one for routes without hosts. It holds
// route indices (positions in the table's precedence order), not routes, so a table whose routes
// changed only in what lookup does not look at (endpoints, security) can share its predecessor's
// index. A request only ever sees the routes of the socket it arrived on (listener isolation).

import { wildcardSuffix } from '../api/hostnames.js';
import { MAIN_LISTENER } from './gateway-types.js';
import { PathTrie } from './path-trie.js';
import type { CompiledRoute, RouteRequest } from './types.js';

/** The host groups of one socket. */
class HostIndex {
  readonly exact = new Map<string, PathTrie>();
  /** Keyed by the suffix with its dot: "*.example.com" -> ".example.com". */
  readonly wildcards = new Map<string, PathTrie>();
  readonly anyHost = new PathTrie();

  add(route: CompiledRoute, index: number): void {
    if (route.hosts.length === 0) {
      this.anyHost.add(route.path.segments, index);
      return;
    }
    for (const host of route.hosts) {
      const suffix = wildcardSuffix(host);
      const [map, key] = suffix === undefined ? [this.exact, host] : [this.wildcards, suffix];
      let trie = map.get(key);
      if (!trie) map.set(key, (trie = new PathTrie()));
      trie.add(route.path.segments, index);
    }
  }

  find(routes: readonly CompiledRoute[], req: RouteRequest): number {
    const host = req.host;
    const exact = this.exact.get(host);
    if (exact) {
      const i = exact.best(routes, req);
      if (i !== -1) return i;
    }
    if (this.wildcards.size > 0) {
      // "*.example.com" takes "a.example.com" and "a.b.example.com", never "example.com": the
      // suffix starts at a dot that is not the first character. Earlier dots = longer suffixes.
      for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
        const trie = this.wildcards.get(host.slice(dot));
        if (!trie) continue;
        const i = trie.best(routes, req);
        if (i !== -1) return i;
      }
    }
    return this.anyHost.best(routes, req);
  }
}

export class RouteIndex {
  /** Socket key -> its host groups. */
  private readonly sockets = new Map<string, HostIndex>();
  /** The main socket's, looked up by most requests without the map. */
  private readonly main: HostIndex | undefined;
  /** Position of each route key (the first, should a key repeat). */
  private readonly positions = new Map<string, number>();

  /** @param routes in precedence order. */
  constructor(routes: readonly CompiledRoute[]) {
    routes.forEach((route, index) => {
      if (!this.positions.has(route.key)) this.positions.set(route.key, index);
      const socket = route.listener ?? MAIN_LISTENER;
      let hosts = this.sockets.get(socket);
      if (!hosts) this.sockets.set(socket, (hosts = new HostIndex()));
      hosts.add(route, index);
    });
    this.main = this.sockets.get(MAIN_LISTENER);
  }

  /**
   * The index of the route for this socket, host and path, or -1: the exact host's routes, then
   * the wildcards from the longest suffix to the shortest, then routes without hosts; inside a
   * group the smallest index that matches and whose conditions `req` meets.
   */
  find(routes: readonly CompiledRoute[], req: RouteRequest): number {
    const socket = req.listener;
    const hosts = socket === undefined || socket === MAIN_LISTENER ? this.main : this.sockets.get(socket);
    return hosts ? hosts.find(routes, req) : -1;
  }

  /** The position of the route with this key, or -1. */
  position(key: string): number {
    return this.positions.get(key) ?? -1;
  }

  /**
   * True when `next` can use an index built for `prev`: the same routes at the same positions
   * as far as lookup is concerned. Compile keeps these fields' objects when a route's match
   * did not change, so identity is enough (and a miss only costs a rebuild).
   */
  static reusable(prev: readonly CompiledRoute[], next: readonly CompiledRoute[]): boolean {
    if (prev.length !== next.length) return false;
    for (let i = 0; i < next.length; i++) {
      const a = prev[i]!;
      const b = next[i]!;
      if (a === b) continue;
      if (
        a.key !== b.key ||
        a.hosts !== b.hosts ||
        a.path !== b.path ||
        a.headers !== b.headers ||
        a.subprotocols !== b.subprotocols ||
        a.listener !== b.listener ||
        a.listenerHostname !== b.listenerHostname ||
        a.method !== b.method ||
        a.queryParams !== b.queryParams
      ) {
        return false;
      }
    }
    return true;
  }
}
