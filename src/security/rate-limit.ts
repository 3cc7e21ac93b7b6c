// Per-route connection counts and per-client connection counts and upgrade-rate token buckets.
// The state lives in the proxy process across table swaps (keyed by route namespace/name), so a
// reload neither resets a limit nor forgets who is connected. Memory is bounded: a client entry
// is deleted once it holds no connection and its bucket has refilled, and when there are more
// than `maxClients` entries the least recently seen idle ones are evicted.

import { defaultBurst } from '../api/defaults.js';

export interface RouteLimits {
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  upgradesPerSecondPerClient?: number;
}

export type AcquireResult = { ok: true; release: () => void } | { ok: false; limit: 'route' | 'client' };

export type TokenResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface ClientEntry {
  connections: number;
  tokens: number;
  /** When `tokens` was last brought up to date (ms, monotonic). */
  updated: number;
  /** Rate and burst of the last take, to know when the bucket is full again. */
  rate: number;
}

export interface LimiterOptions {
  maxClients?: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
  sweepIntervalMs?: number;
}

/** Burst of a bucket: one second's worth, at least one upgrade (the same rule as message rates). */
export const burstFor = defaultBurst;

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
    const entry = this.entry(routeKey, client);
    const now = this.now();
    const burst = burstFor(rate);
    if (entry.rate !== rate) {
      // New or changed limit: start from a full bucket of the new size (never above it).
      entry.tokens = entry.rate === 0 ? burst : Math.min(entry.tokens, burst);
      entry.rate = rate;
      entry.updated = now;
    }
    entry.tokens = Math.min(burst, entry.tokens + ((now - entry.updated) / 1000) * rate);
    entry.updated = now;
    if (entry.tokens >= 1) {
      entry.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - entry.tokens) / rate)) };
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
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        entry.connections--;
        const n = (this.routes.get(routeKey) ?? 1) - 1;
        if (n <= 0) this.routes.delete(routeKey);
        else this.routes.set(routeKey, n);
        if (entry.connections === 0 && this.idle(entry, this.now()) && this.clients.get(key) === entry) this.clients.delete(key);
      },
    };
  }

  /** Deletes every entry without connections whose bucket is full again. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.clients) {
      if (entry.connections === 0 && this.idle(entry, now)) this.clients.delete(key);
    }
  }

  private idle(entry: ClientEntry, now: number): boolean {
    if (entry.rate === 0) return true;
    return entry.tokens + ((now - entry.updated) / 1000) * entry.rate >= burstFor(entry.rate);
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
