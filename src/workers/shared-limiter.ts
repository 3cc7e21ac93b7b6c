// The Limiter's state shared by every worker thread (--workers N): a striped hash table in
// shared memory (its layout in shared-layout.ts, a lock per stripe in stripe-locks.ts). The
// bucket arithmetic is the one token bucket (limits/token-bucket.ts), over an entry's fields
// copied out of the table and written back under the stripe lock.

import { hash } from 'node:crypto';
import { takeUpgradeToken, upgradeBucketFull, type TokenResult, type UpgradeBucket } from '../limits/token-bucket.js';
import { admitted, Limiter, type AcquireResult, type RouteLimits } from '../security/rate-limit.js';
import {
  CONNECTIONS,
  KEY_A,
  KEY_B,
  LIMIT_F64_FIELDS,
  LIMIT_I32_FIELDS,
  limitTableViews,
  RATE,
  SEEN,
  TOKENS,
  UPDATED,
  USED,
  type SharedCounterBuffers,
} from './shared-layout.js';
import { StripeLocks } from './stripe-locks.js';

/**
 * The Limiter's state shared by every worker: per-route connection counts and per-(route,
 * client) connection counts and token buckets, in a fixed-size hash table.
 *
 * Layout: `stripes` stripes of `stripeSize` entries; a key's 96-bit SHA-1 prefix picks its
 * stripe and identifies it inside; each stripe has a spin lock (Atomics.compareExchange, then
 * Atomics.wait with a 1 ms timeout), held for a scan of at most `stripeSize` entries.
 *
 * Limits (default 4096 x 64 = 262,144 entries, 12 MiB of address space):
 * - an entry without connections whose bucket has refilled is idle: deleted on release, by the
 *   main thread's sweep (every 10 s), or when its stripe needs room;
 * - a full stripe evicts an idle entry first, then the least recently seen entry without
 *   connections (its bucket restarts full, as with the in-process limiter's eviction);
 * - entries with connections are never evicted: if all `stripeSize` entries of a stripe hold
 *   connections, a new client of that stripe is let through uncounted (fail open, counted in
 *   `overflows`) rather than refused. Uniform hashing makes that likely only near the capacity
 *   in distinct connected (route, client) pairs.
 */
export class SharedLimiter extends Limiter {
  private readonly locks: StripeLocks;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly stripes: number;
  private readonly size: number;
  private readonly clock: () => number;
  private readonly sweeper: NodeJS.Timeout | undefined;
  /** New entries refused because their stripe was full of connected clients (let through uncounted). */
  overflows = 0;
  /**
   * An entry's bucket copied out of `f64` for the one bucket arithmetic (limits/token-bucket.ts)
   * and written back: reused, as the stripe lock is held and no other call runs in between.
   */
  private readonly bucket: UpgradeBucket = { tokens: 0, updated: 0, rate: 0 };

  constructor(buffers: SharedCounterBuffers, opts: { now?: () => number; sweepIntervalMs?: number } = {}) {
    super({ sweepIntervalMs: 0 });
    this.stripes = buffers.stripes;
    this.size = buffers.stripeSize;
    const views = limitTableViews(buffers);
    this.locks = new StripeLocks(views.locks);
    this.i32 = views.i32;
    this.f64 = views.f64;
    // One clock for every thread: performance.now() starts per thread.
    this.clock = opts.now ?? (() => performance.timeOrigin + performance.now());
    if (opts.sweepIntervalMs) {
      this.sweeper = setInterval(() => this.sweep(), opts.sweepIntervalMs);
      this.sweeper.unref();
    }
  }

  override stop(): void {
    clearInterval(this.sweeper);
  }

  override get clientEntries(): number {
    let n = 0;
    for (let e = 0; e < this.stripes * this.size; e++) if (Atomics.load(this.i32, e * LIMIT_I32_FIELDS + USED) === 1) n++;
    return n;
  }

  override routeConnections(routeKey: string): number {
    const k = keyOf(`\u0001${routeKey}`, this.stripes);
    return this.locks.locked(k.stripe, () => {
      const e = this.find(k);
      return e < 0 ? 0 : this.i32[e * LIMIT_I32_FIELDS + CONNECTIONS]!;
    });
  }

  override takeToken(routeKey: string, client: string, rate: number): TokenResult {
    const k = keyOf(`${routeKey}\u0000${client}`, this.stripes);
    return this.locks.locked(k.stripe, (): TokenResult => {
      const e = this.findOrInsert(k);
      if (e < 0) {
        this.overflows++;
        return { ok: true };
      }
      const f = e * LIMIT_F64_FIELDS;
      const now = this.clock();
      const bucket = this.loadBucket(e);
      const result = takeUpgradeToken(bucket, rate, now);
      this.storeBucket(e, bucket);
      this.f64[f + SEEN] = now;
      return result;
    });
  }

  override acquire(routeKey: string, client: string, limits: RouteLimits): AcquireResult {
    const rk = keyOf(`\u0001${routeKey}`, this.stripes);
    const ck = keyOf(`${routeKey}\u0000${client}`, this.stripes);
    const got = this.locks.lockedPair(rk.stripe, ck.stripe, (): { ok: true; r: number; c: number } | { ok: false; limit: 'route' | 'client' } => {
      const r = this.findOrInsert(rk);
      const routeCount = r < 0 ? 0 : this.i32[r * LIMIT_I32_FIELDS + CONNECTIONS]!;
      if (limits.maxConnections !== undefined && routeCount >= limits.maxConnections) return { ok: false, limit: 'route' };
      const existing = this.find(ck);
      if (limits.maxConnectionsPerClient !== undefined && existing >= 0 && this.i32[existing * LIMIT_I32_FIELDS + CONNECTIONS]! >= limits.maxConnectionsPerClient) {
        return { ok: false, limit: 'client' };
      }
      const c = existing >= 0 ? existing : this.findOrInsert(ck);
      if (r < 0 || c < 0) this.overflows++;
      const now = this.clock();
      if (r >= 0) {
        this.i32[r * LIMIT_I32_FIELDS + CONNECTIONS]!++;
        this.f64[r * LIMIT_F64_FIELDS + SEEN] = now;
      }
      if (c >= 0) {
        this.i32[c * LIMIT_I32_FIELDS + CONNECTIONS]!++;
        this.f64[c * LIMIT_F64_FIELDS + SEEN] = now;
      }
      return { ok: true, r, c };
    });
    if (!got.ok) return got;
    return admitted(() => {
      // Entries with connections are never evicted: the indexes are still theirs.
      this.locks.lockedPair(rk.stripe, ck.stripe, () => {
        const now = this.clock();
        for (const e of [got.r, got.c]) {
          if (e < 0) continue;
          const n = --this.i32[e * LIMIT_I32_FIELDS + CONNECTIONS]!;
          if (n <= 0 && this.isIdle(e, now)) this.remove(e);
        }
      });
    });
  }

  override sweep(): void {
    const now = this.clock();
    for (let s = 0; s < this.stripes; s++) {
      this.locks.locked(s, () => {
        for (let e = s * this.size; e < (s + 1) * this.size; e++) {
          if (this.i32[e * LIMIT_I32_FIELDS + USED] === 1 && this.i32[e * LIMIT_I32_FIELDS + CONNECTIONS] === 0 && this.isIdle(e, now)) this.remove(e);
        }
      });
    }
  }

  // --- the table (callers hold the stripe lock) -----------------------------------------------

  private find(k: Key): number {
    const i = this.i32;
    for (let e = k.stripe * this.size, end = e + this.size; e < end; e++) {
      const b = e * LIMIT_I32_FIELDS;
      if (i[b + USED] === 1 && i[b + KEY_A] === k.a && i[b + KEY_B] === k.b) return e;
    }
    return -1;
  }

  private findOrInsert(k: Key): number {
    const found = this.find(k);
    if (found >= 0) return found;
    const i = this.i32;
    const start = k.stripe * this.size;
    const end = start + this.size;
    let slot = -1;
    for (let e = start; e < end && slot < 0; e++) if (i[e * LIMIT_I32_FIELDS + USED] !== 1) slot = e;
    if (slot < 0) slot = this.evictFrom(start, end);
    if (slot < 0) return -1;
    const b = slot * LIMIT_I32_FIELDS;
    i[b + USED] = 1;
    i[b + KEY_A] = k.a;
    i[b + KEY_B] = k.b;
    i[b + CONNECTIONS] = 0;
    const f = slot * LIMIT_F64_FIELDS;
    const now = this.clock();
    this.f64[f + TOKENS] = 0;
    this.f64[f + UPDATED] = now;
    this.f64[f + RATE] = 0;
    this.f64[f + SEEN] = now;
    return slot;
  }

  /** An idle entry, else the least recently seen without connections, else none. */
  private evictFrom(start: number, end: number): number {
    const now = this.clock();
    let oldest = -1;
    for (let e = start; e < end; e++) {
      if (this.i32[e * LIMIT_I32_FIELDS + CONNECTIONS] !== 0) continue;
      if (this.isIdle(e, now)) return e;
      if (oldest < 0 || this.f64[e * LIMIT_F64_FIELDS + SEEN]! < this.f64[oldest * LIMIT_F64_FIELDS + SEEN]!) oldest = e;
    }
    return oldest;
  }

  private isIdle(e: number, now: number): boolean {
    return upgradeBucketFull(this.loadBucket(e), now);
  }

  /** Entry `e`'s bucket, copied into the reused `bucket`. */
  private loadBucket(e: number): UpgradeBucket {
    const f = e * LIMIT_F64_FIELDS;
    const bucket = this.bucket;
    bucket.tokens = this.f64[f + TOKENS]!;
    bucket.updated = this.f64[f + UPDATED]!;
    bucket.rate = this.f64[f + RATE]!;
    return bucket;
  }

  /** Writes `bucket` back into entry `e`. */
  private storeBucket(e: number, bucket: UpgradeBucket): void {
    const f = e * LIMIT_F64_FIELDS;
    this.f64[f + TOKENS] = bucket.tokens;
    this.f64[f + UPDATED] = bucket.updated;
    this.f64[f + RATE] = bucket.rate;
  }

  private remove(e: number): void {
    this.i32[e * LIMIT_I32_FIELDS + USED] = 0;
    this.i32[e * LIMIT_I32_FIELDS + CONNECTIONS] = 0;
  }
}

interface Key {
  stripe: number;
  a: number;
  b: number;
}

function keyOf(text: string, stripes: number): Key {
  const h = hash('sha1', text, 'buffer');
  return { a: h.readInt32LE(0), b: h.readInt32LE(4), stripe: h.readUInt32LE(8) % stripes };
}
