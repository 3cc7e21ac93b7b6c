// The set of established (piped) WebSocket connections, indexed by route. Table swaps never
// close anything here by themselves: a connection lives until a peer closes it or a lifecycle
// rule (drain, timeout, rebalance, shutdown) ends it.
//
// The idle, lifetime and drain deadlines of every connection are checked by one sweep on one
// interval (no timer per connection); its period follows the shortest timeout in use (an
// eighth of it, between 20 ms and 1 s), so a deadline is acted on within that much.

import { LiveConnection, type LiveConnectionInit } from './live-connection.js';

const MAX_SWEEP_MS = 1000;
const MIN_SWEEP_MS = 20;

export class ConnectionRegistry {
  /** Insertion-ordered, so iteration is oldest first (what rebalancing sheds first). */
  private readonly byRoute = new Map<string, Set<LiveConnection>>();
  private count = 0;
  private nextId = 1;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepMs = 0;
  private stopped = false;

  add(init: Omit<LiveConnectionInit, 'id'>): LiveConnection {
    const conn = new LiveConnection({ ...init, id: this.nextId++ });
    let set = this.byRoute.get(conn.routeKey);
    if (!set) this.byRoute.set(conn.routeKey, (set = new Set()));
    set.add(conn);
    this.count++;
    return conn;
  }

  delete(conn: LiveConnection): boolean {
    const set = this.byRoute.get(conn.routeKey);
    if (!set?.delete(conn)) return false;
    this.count--;
    if (set.size === 0) this.byRoute.delete(conn.routeKey);
    conn.dispose();
    return true;
  }

  get size(): number {
    return this.count;
  }

  *all(): IterableIterator<LiveConnection> {
    for (const set of this.byRoute.values()) yield* set;
  }

  /** A snapshot, oldest first within each route. */
  list(): LiveConnection[] {
    const out: LiveConnection[] = [];
    for (const set of this.byRoute.values()) for (const c of set) out.push(c);
    return out;
  }

  ofRoute(routeKey: string): ReadonlySet<LiveConnection> {
    return this.byRoute.get(routeKey) ?? new Set();
  }

  routeKeys(): IterableIterator<string> {
    return this.byRoute.keys();
  }

  /**
   * Makes sure the sweep runs often enough for a deadline `timeoutMs` away (a connection's
   * idle timeout or lifetime, a drain timeout).
   */
  watch(timeoutMs: number): void {
    if (timeoutMs <= 0 || this.stopped) return;
    const period = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.floor(timeoutMs / 8)));
    if (this.sweepTimer && period >= this.sweepMs) return;
    clearInterval(this.sweepTimer);
    this.sweepMs = period;
    this.sweepTimer = setInterval(() => this.sweep(), period);
    this.sweepTimer.unref();
  }

  /** One pass over every connection's deadlines. */
  sweep(now = Date.now()): void {
    for (const set of this.byRoute.values()) {
      for (const c of set) c.check(now);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
