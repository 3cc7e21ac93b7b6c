// The per-route pick counter that gives RoundRobin its order and rotates the start of
// LeastConnections' scan so ties spread evenly. One process: a map here. Worker threads share
// one counter per route (src/workers/shared-route-cursors.ts), so the rotation is the process's,
// not each worker's.

export class RouteCursors {
  private readonly local = new Map<string, number>();

  /** The route's next cursor: 1 for its first pick, then +1 per pick. */
  next(routeKey: string): number {
    const cursor = (this.local.get(routeKey) ?? 0) + 1;
    this.local.set(routeKey, cursor);
    return cursor;
  }

  /** Drops the cursors of routes that left the table. */
  forget(routeKeys: Iterable<string>): void {
    for (const key of routeKeys) this.local.delete(key);
  }
}
