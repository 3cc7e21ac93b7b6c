// Per-route connection counts and per-client connection counts and upgrade-rate token buckets.
// The state lives in the proxy process across table swaps (keyed by route namespace/name), so a
// reload neither resets a limit nor forgets who is connected. Memory is bounded: a client entry
// is deleted once it holds no connection and its bucket has refilled, and when there are more
// than `maxClients` entries the least recently seen idle ones are evicted.

import { takeUpgradeToken, upgradeBucketFull, type TokenResult, type UpgradeBucket } from '../limits/token-bucket.js';

export interface RouteLimits {
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  upgradesPerSecondPerClient?: number;
}

export type AcquireResult = { ok: true; release: () => void } | { ok: false; limit: 'route' | 'client' };

/** An admitted connection whose `release` gives back what it took the first time it is called, never twice. */
export function admitted(release: () => void): AcquireResult {
  let released = false;
  return {
    ok: true,
    release: () => {
      if (released) return;
      released = true;
      release();
    },
  };
}

/** A client on a route: its connections and its upgrade bucket (limits/token-bucket.ts). */
interface ClientEntry extends UpgradeBucket {
  connections: number;
}

export interface LimiterOptions {
  maxClients?: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
  sweepIntervalMs?: number;
}

export class Limiter {
  private readonly routes = new Map<string, number>();
  /** Insertion order = least recently seen first (entries are re-inserted on use). */
  private readonly clients = new Map<string, ClientEntry>();
  private readonly maxClients: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(opts: LimiterOptions = {}) {
    this.maxClients = opts.maxClients ?? 100_000;
    this.now = opts.now ?? (() => performance.now());
    if (opts.sweepIntervalMs !== 0) {
      this.timer = setInterval(() => this.sweep(), opts.sweepIntervalMs ?? 10_000);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get clientEntries(): number {
    return this.clients.size;
  }

  routeConnections(routeKey: string): number {
    return this.routes.get(routeKey) ?? 0;
  }

  /** Takes one upgrade token from the client's bucket on this route. */
  takeToken(routeKey: string, client: string, rate: number): TokenResult {
    return takeUpgradeToken(this.entry(routeKey, client), rate, this.now());
  }

  /** Counts one connection against the route and the client, if both limits allow it. */
  acquire(routeKey: string, client: string, limits: RouteLimits): AcquireResult {
    const routeCount = this.routes.get(routeKey) ?? 0;
    if (limits.maxConnections !== undefined && routeCount >= limits.maxConnections) return { ok: false, limit: 'route' };
    const key = clientKey(routeKey, client);
    const existing = this.clients.get(key);
    if (limits.maxConnectionsPerClient !== undefined && (existing?.connections ?? 0) >= limits.maxConnectionsPerClient) {
      return { ok: false, limit: 'client' };
    }
    const entry = this.entry(routeKey, client);
    entry.connections++;
    this.routes.set(routeKey, routeCount + 1);
    return admitted(() => {
      entry.connections--;
      const n = (this.routes.get(routeKey) ?? 1) - 1;
      if (n <= 0) this.routes.delete(routeKey);
      else this.routes.set(routeKey, n);
      if (entry.connections === 0 && this.idle(entry, this.now()) && this.clients.get(key) === entry) this.clients.delete(key);
    });
  }

  /** Deletes every entry without connections whose bucket is full again. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.clients) {
      if (entry.connections === 0 && this.idle(entry, now)) this.clients.delete(key);
    }
  }

  private idle(entry: ClientEntry, now: number): boolean {
    return upgradeBucketFull(entry, now);
  }

  private entry(routeKey: string, client: string): ClientEntry {
    const key = clientKey(routeKey, client);
    let entry = this.clients.get(key);
    if (entry) {
      // Most recently seen goes last.
      this.clients.delete(key);
      this.clients.set(key, entry);
      return entry;
    }
    if (this.clients.size >= this.maxClients) this.evict();
    entry = { connections: 0, tokens: 0, updated: this.now(), rate: 0 };
    this.clients.set(key, entry);
    return entry;
  }

  /** Makes room: idle entries first, then the least recently seen without connections. */
  private evict(): void {
    this.sweep();
    if (this.clients.size < this.maxClients) return;
    const target = Math.floor(this.maxClients * 0.9);
    for (const [key, entry] of this.clients) {
      if (this.clients.size <= target) break;
      if (entry.connections === 0) this.clients.delete(key);
    }
  }
}

function clientKey(routeKey: string, client: string): string {
  return `${routeKey}\u0000${client}`;
}
