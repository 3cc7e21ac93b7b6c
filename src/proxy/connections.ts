// The set of established (piped) WebSocket connections, indexed by route and by endpoint.
// Table swaps never close anything here by themselves: a connection lives until a peer closes
// it or a lifecycle rule (drain, timeout, rebalance, shutdown) ends it.

import { LiveConnection, type LiveConnectionInit } from './live-connection.js';

export class ConnectionRegistry {
  private readonly byId = new Map<number, LiveConnection>();
  /** Insertion-ordered, so iteration is oldest first (what rebalancing sheds first). */
  private readonly byRoute = new Map<string, Set<LiveConnection>>();
  private nextId = 1;

  add(init: Omit<LiveConnectionInit, 'id'>): LiveConnection {
    const conn = new LiveConnection({ ...init, id: this.nextId++ });
    this.byId.set(conn.id, conn);
    let set = this.byRoute.get(conn.routeKey);
    if (!set) this.byRoute.set(conn.routeKey, (set = new Set()));
    set.add(conn);
    return conn;
  }

  delete(conn: LiveConnection): boolean {
    if (!this.byId.delete(conn.id)) return false;
    const set = this.byRoute.get(conn.routeKey);
    set?.delete(conn);
    if (set?.size === 0) this.byRoute.delete(conn.routeKey);
    conn.dispose();
    return true;
  }

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<LiveConnection> {
    return this.byId.values();
  }

  ofRoute(routeKey: string): ReadonlySet<LiveConnection> {
    return this.byRoute.get(routeKey) ?? new Set();
  }

  routeKeys(): IterableIterator<string> {
    return this.byRoute.keys();
  }
}
