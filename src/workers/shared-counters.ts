// Counters every worker thread of one process shares, in SharedArrayBuffers read and written
// with Atomics, behind the interfaces the single-threaded data plane already uses
// (EndpointLoad, EndpointHealth, Limiter): with --workers 1 the in-process classes run as before.
//
// Endpoints: one slot per endpoint id (active connections, passive-health failures and the
// time the ejection ends), assigned by the main thread and posted with every table (see
// SlotAllocator). A slot is freed only when its count is 0, its endpoint left the table and
// every worker acknowledged a mapping without it, so a slot never counts for two endpoints.
//
// Routes: one slot per route key for its pick cursor (round-robin order, least-connections
// tie-break rotation), assigned by the main thread and posted with the endpoint slots; freed
// once every worker acknowledged a mapping without the route.
//
// Limits: a fixed-size hash table of (route, client) and route entries, keyed by a 96-bit hash
// of the key (see SharedLimiter). Its limits are documented there.

import { hash } from 'node:crypto';
import { RouteCursors } from '../balancer/cursors.js';
import { EndpointHealth, type EjectionState } from '../balancer/health.js';
import { EndpointLoad } from '../balancer/load.js';
import { PROCESS_COUNTER_BYTES } from '../overload/process-counters.js';
import { takeUpgradeToken, upgradeBucketFull, type TokenResult, type UpgradeBucket } from '../limits/token-bucket.js';
import { Limiter, type AcquireResult, type RouteLimits } from '../security/rate-limit.js';

export interface SharedCounterBuffers {
  /** Per endpoint slot: ejection end (BigInt64, ms since epoch), then count and failures (Int32). */
  endpoints: SharedArrayBuffer;
  endpointSlots: number;
  /** Per route slot: its pick cursor (Uint32, wraps). */
  routes: SharedArrayBuffer;
  routeSlots: number;
  /** The limiter's hash table: stripe locks, then Int32 and Float64 fields per entry. */
  limits: SharedArrayBuffer;
  stripes: number;
  stripeSize: number;
  /** The process counters (connections against --max-connections, overload state): overload/process-counters.ts. */
  process: SharedArrayBuffer;
}

export const DEFAULT_ENDPOINT_SLOTS = 1 << 18;
export const DEFAULT_ROUTE_SLOTS = 1 << 17;
export const DEFAULT_STRIPES = 4096;
export const DEFAULT_STRIPE_SIZE = 64;

/** Allocates the shared memory (zeroed; pages the OS commits only once touched). */
export function allocateCounters(
  endpointSlots = DEFAULT_ENDPOINT_SLOTS,
  stripes = DEFAULT_STRIPES,
  stripeSize = DEFAULT_STRIPE_SIZE,
  routeSlots = DEFAULT_ROUTE_SLOTS,
): SharedCounterBuffers {
  const entries = stripes * stripeSize;
  return {
    endpoints: new SharedArrayBuffer(endpointSlots * 16),
    endpointSlots,
    routes: new SharedArrayBuffer(routeSlots * 4),
    routeSlots,
    limits: new SharedArrayBuffer(stripes * 4 + entries * I32_FIELDS * 4 + pad8(stripes * 4 + entries * I32_FIELDS * 4) + entries * F64_FIELDS * 8),
    stripes,
    stripeSize,
    process: new SharedArrayBuffer(PROCESS_COUNTER_BYTES),
  };
}

function pad8(n: number): number {
  return (8 - (n % 8)) % 8;
}

// --- endpoints -----------------------------------------------------------------------------------

class EndpointArrays {
  readonly until: BigInt64Array;
  readonly count: Int32Array;
  readonly failures: Int32Array;
  constructor(b: SharedCounterBuffers) {
    const n = b.endpointSlots;
    this.until = new BigInt64Array(b.endpoints, 0, n);
    this.count = new Int32Array(b.endpoints, n * 8, n);
    this.failures = new Int32Array(b.endpoints, n * 12, n);
  }
}

/** Endpoint id -> slot and route key -> slot, as the main thread last posted them (shared by the views). */
export class SlotMap {
  private map = new Map<string, number>();
  private routeMap = new Map<string, number>();
  epoch = 0;
  set(epoch: number, slots: Iterable<[string, number]>, routes: Iterable<[string, number]> = []): void {
    this.epoch = epoch;
    this.map = new Map(slots);
    this.routeMap = new Map(routes);
  }
  get(id: string): number {
    return this.map.get(id) ?? -1;
  }
  route(key: string): number {
    return this.routeMap.get(key) ?? -1;
  }
  ids(): IterableIterator<string> {
    return this.map.keys();
  }
}

/**
 * Least-connections counts shared by every worker. Each worker also keeps its own count per
 * endpoint, to release what it acquired on the slot it acquired it on, and to count locally an
 * endpoint that has no slot (it left the table between the choice and the connect, or the slots
 * ran out).
 */
export class SharedEndpointLoad extends EndpointLoad {
  private readonly a: EndpointArrays;
  private readonly held = new Map<string, { slot: number; n: number }>();

  constructor(
    buffers: SharedCounterBuffers,
    readonly slots: SlotMap,
  ) {
    super();
    this.a = new EndpointArrays(buffers);
  }

  /** After a new mapping: connections counted locally move onto their endpoint's new slot. */
  remap(): void {
    for (const [id, h] of this.held) {
      if (h.slot >= 0) continue;
      const s = this.slots.get(id);
      if (s >= 0) {
        Atomics.add(this.a.count, s, h.n);
        h.slot = s;
      }
    }
  }

  override get(id: string): number {
    const h = this.held.get(id);
    const s = h && h.slot >= 0 ? h.slot : this.slots.get(id);
    if (s >= 0) return Atomics.load(this.a.count, s);
    return h?.n ?? 0;
  }

  override acquire(id: string): void {
    let h = this.held.get(id);
    if (!h) this.held.set(id, (h = { slot: this.slots.get(id), n: 0 }));
    h.n++;
    if (h.slot >= 0) Atomics.add(this.a.count, h.slot, 1);
  }

  override release(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    h.n--;
    if (h.slot >= 0) Atomics.sub(this.a.count, h.slot, 1);
    if (h.n <= 0) this.held.delete(id);
  }

  override snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of this.slots.ids()) {
      const n = this.get(id);
      if (n > 0) out[id] = n;
    }
    return out;
  }

  /** This worker's own connections per endpoint. */
  local(): Record<string, number> {
    return Object.fromEntries([...this.held].map(([id, h]) => [id, h.n]));
  }
}

/**
 * Pick cursors shared by every worker: the kernel hands each connection to any worker, so only
 * one counter per route gives RoundRobin its exact order and spreads least-connections ties
 * over the process. A route without a slot (the slots ran out) counts in this worker only.
 */
export class SharedRouteCursors extends RouteCursors {
  private readonly shared: Uint32Array;

  constructor(
    buffers: SharedCounterBuffers,
    private readonly slots: SlotMap,
  ) {
    super();
    this.shared = new Uint32Array(buffers.routes, 0, buffers.routeSlots);
  }

  override next(routeKey: string): number {
    const s = this.slots.route(routeKey);
    if (s < 0) return super.next(routeKey);
    return Atomics.add(this.shared, s, 1) + 1;
  }

  // forget(): the local cursors only; the main thread resets the slots of routes that left.
}

/** Passive health shared by every worker: one worker's failed connect ejects the endpoint for all. */
export class SharedEndpointHealth extends EndpointHealth {
  private readonly a: EndpointArrays;
  private readonly baseMsShared: number;
  private readonly maxMsShared: number;
  private readonly clock: () => number;

  constructor(
    buffers: SharedCounterBuffers,
    private readonly slots: SlotMap,
    baseMs = 1000,
    maxMs = 30000,
    now: () => number = Date.now,
  ) {
    super(baseMs, maxMs, now);
    this.a = new EndpointArrays(buffers);
    this.baseMsShared = baseMs;
    this.maxMsShared = maxMs;
    this.clock = now;
  }

  override fail(id: string): number {
    const s = this.slots.get(id);
    if (s < 0) return super.fail(id);
    const failures = Atomics.add(this.a.failures, s, 1) + 1;
    const ms = Math.min(this.maxMsShared, this.baseMsShared * 2 ** Math.min(30, failures - 1));
    Atomics.store(this.a.until, s, BigInt(Math.round(this.clock() + ms)));
    return ms;
  }

  override succeed(id: string): void {
    const s = this.slots.get(id);
    if (s < 0) return super.succeed(id);
    if (Atomics.load(this.a.failures, s) === 0) return;
    Atomics.store(this.a.failures, s, 0);
    Atomics.store(this.a.until, s, 0n);
  }

  override isEjected(id: string): boolean {
    const s = this.slots.get(id);
    if (s < 0) return super.isEjected(id);
    return Number(Atomics.load(this.a.until, s)) > this.clock();
  }

  override snapshot(): Record<string, EjectionState> {
    const out = super.snapshot();
    const now = this.clock();
    for (const id of this.slots.ids()) {
      const s = this.slots.get(id);
      const until = Number(Atomics.load(this.a.until, s));
      if (until > now) out[id] = { failures: Atomics.load(this.a.failures, s), ejectedUntil: until };
    }
    return out;
  }

  // forget(): the local records only; the main thread resets the slots of endpoints that left.
}

/**
 * The main thread's side of the endpoint slots: assigns a slot to every endpoint of a new table,
 * keeps the slot of an endpoint that left while connections may still count on it, and frees it
 * once its count is 0 and every worker acknowledged a mapping without it.
 */
export class SlotAllocator {
  private readonly a: EndpointArrays;
  private readonly cursors: Uint32Array;
  private readonly byId = new Map<string, number>();
  /** Endpoints that left the table but keep their slot (still in the posted mapping). */
  private readonly leaving = new Set<string>();
  /** Out of the mapping since epoch N; freed once every worker acked N and the count is 0. */
  private readonly retired = new Map<string, { slot: number; epoch: number }>();
  private readonly free: number[] = [];
  private next = 0;
  private readonly routeById = new Map<string, number>();
  /** Routes out of the mapping since epoch N: their slot is freed once every worker acked N. */
  private readonly retiredRoutes = new Map<string, { slot: number; epoch: number }>();
  private readonly freeRoutes: number[] = [];
  private nextRoute = 0;
  private epochCounter = 0;
  /** Endpoints that got no slot because all were taken (counted per worker only). */
  unslotted = 0;
  /** Routes that got no cursor slot (their cursor is per worker). */
  unslottedRoutes = 0;

  constructor(
    private readonly buffers: SharedCounterBuffers,
    readonly slots: SlotMap = new SlotMap(),
  ) {
    this.a = new EndpointArrays(buffers);
    this.cursors = new Uint32Array(buffers.routes, 0, buffers.routeSlots);
  }

  get used(): number {
    return this.byId.size + this.retired.size;
  }

  /**
   * The mapping for a table with these endpoint ids and route keys; also resets the health of
   * endpoints that left.
   */
  assign(ids: ReadonlySet<string>, routeKeys: ReadonlySet<string> = new Set()): SlotMappingOut {
    this.unslotted = 0;
    this.assignRoutes(routeKeys);
    for (const id of ids) {
      this.leaving.delete(id);
      if (this.byId.has(id)) continue;
      const back = this.retired.get(id);
      if (back) {
        // Came back before its slot was freed: its count is still right.
        this.retired.delete(id);
        this.byId.set(id, back.slot);
        continue;
      }
      const slot = this.free.pop() ?? (this.next < this.buffers.endpointSlots ? this.next++ : -1);
      if (slot < 0) {
        this.unslotted++;
        continue;
      }
      this.byId.set(id, slot);
    }
    for (const [id, slot] of this.byId) {
      if (ids.has(id) || this.leaving.has(id)) continue;
      // Passive health is forgotten when an endpoint leaves, as in one process.
      this.leaving.add(id);
      Atomics.store(this.a.failures, slot, 0);
      Atomics.store(this.a.until, slot, 0n);
    }
    return this.publish();
  }

  private assignRoutes(keys: ReadonlySet<string>): void {
    this.unslottedRoutes = 0;
    for (const key of keys) {
      if (this.routeById.has(key)) continue;
      const back = this.retiredRoutes.get(key);
      if (back) {
        // Came back before its slot was freed: the rotation goes on where it was.
        this.retiredRoutes.delete(key);
        this.routeById.set(key, back.slot);
        continue;
      }
      const slot = this.freeRoutes.pop() ?? (this.nextRoute < this.buffers.routeSlots ? this.nextRoute++ : -1);
      if (slot < 0) {
        this.unslottedRoutes++;
        continue;
      }
      this.routeById.set(key, slot);
    }
    for (const [key, slot] of this.routeById) {
      if (keys.has(key)) continue;
      this.routeById.delete(key);
      // Out of the mapping about to be published; a worker may pick with it until it acks that.
      this.retiredRoutes.set(key, { slot, epoch: this.epochCounter + 1 });
    }
  }

  /**
   * Retires leaving endpoints whose count is 0 (a new mapping without them, or undefined when
   * nothing changed) and frees retired slots every worker has seen go (`ackedEpoch`: the lowest
   * epoch all workers acknowledged).
   */
  collect(ackedEpoch: number): SlotMappingOut | undefined {
    for (const [key, r] of this.retiredRoutes) {
      if (r.epoch > ackedEpoch) continue;
      this.retiredRoutes.delete(key);
      // The next route on this slot starts its rotation as a new route in one process would.
      Atomics.store(this.cursors, r.slot, 0);
      this.freeRoutes.push(r.slot);
    }
    for (const [id, r] of this.retired) {
      if (r.epoch > ackedEpoch) continue;
      if (Atomics.load(this.a.count, r.slot) !== 0) continue;
      this.retired.delete(id);
      Atomics.store(this.a.failures, r.slot, 0);
      Atomics.store(this.a.until, r.slot, 0n);
      this.free.push(r.slot);
    }
    let changed = false;
    for (const id of [...this.leaving]) {
      const slot = this.byId.get(id)!;
      if (Atomics.load(this.a.count, slot) !== 0) continue;
      this.leaving.delete(id);
      this.byId.delete(id);
      this.retired.set(id, { slot, epoch: this.epochCounter + 1 });
      changed = true;
    }
    return changed ? this.publish() : undefined;
  }

  private publish(): SlotMappingOut {
    const slots = [...this.byId];
    const routes = [...this.routeById];
    this.slots.set(++this.epochCounter, slots, routes);
    return { epoch: this.epochCounter, slots, routes };
  }
}

/** What SlotAllocator publishes (the `SlotMapping` message). */
export interface SlotMappingOut {
  epoch: number;
  /** Endpoint id -> endpoint slot. */
  slots: Array<[string, number]>;
  /** Route key -> cursor slot. */
  routes: Array<[string, number]>;
}

// --- limits --------------------------------------------------------------------------------------

const I32_FIELDS = 4; // used, key a, key b, connections
const F64_FIELDS = 4; // tokens, updated, rate, last seen
const USED = 0;
const KA = 1;
const KB = 2;
const CONN = 3;
const TOKENS = 0;
const UPDATED = 1;
const RATE = 2;
const SEEN = 3;

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
  private readonly locks: Int32Array;
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
    const entries = this.stripes * this.size;
    this.locks = new Int32Array(buffers.limits, 0, this.stripes);
    const i32Bytes = this.stripes * 4 + entries * I32_FIELDS * 4;
    this.i32 = new Int32Array(buffers.limits, this.stripes * 4, entries * I32_FIELDS);
    this.f64 = new Float64Array(buffers.limits, i32Bytes + pad8(i32Bytes), entries * F64_FIELDS);
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
    for (let e = 0; e < this.stripes * this.size; e++) if (Atomics.load(this.i32, e * I32_FIELDS + USED) === 1) n++;
    return n;
  }

  override routeConnections(routeKey: string): number {
    const k = keyOf(`\u0001${routeKey}`, this.stripes);
    return this.locked(k.stripe, () => {
      const e = this.find(k);
      return e < 0 ? 0 : this.i32[e * I32_FIELDS + CONN]!;
    });
  }

  override takeToken(routeKey: string, client: string, rate: number): TokenResult {
    const k = keyOf(`${routeKey}\u0000${client}`, this.stripes);
    return this.locked(k.stripe, (): TokenResult => {
      const e = this.findOrInsert(k);
      if (e < 0) {
        this.overflows++;
        return { ok: true };
      }
      const f = e * F64_FIELDS;
      const now = this.clock();
      const bucket = this.loadBucket(e);
      const result = takeUpgradeToken(bucket, rate, now);
      this.f64[f + TOKENS] = bucket.tokens;
      this.f64[f + UPDATED] = bucket.updated;
      this.f64[f + RATE] = bucket.rate;
      this.f64[f + SEEN] = now;
      return result;
    });
  }

  override acquire(routeKey: string, client: string, limits: RouteLimits): AcquireResult {
    const rk = keyOf(`\u0001${routeKey}`, this.stripes);
    const ck = keyOf(`${routeKey}\u0000${client}`, this.stripes);
    const got = this.lockedPair(rk.stripe, ck.stripe, (): { ok: true; r: number; c: number } | { ok: false; limit: 'route' | 'client' } => {
      const r = this.findOrInsert(rk);
      const routeCount = r < 0 ? 0 : this.i32[r * I32_FIELDS + CONN]!;
      if (limits.maxConnections !== undefined && routeCount >= limits.maxConnections) return { ok: false, limit: 'route' };
      const existing = this.find(ck);
      if (limits.maxConnectionsPerClient !== undefined && existing >= 0 && this.i32[existing * I32_FIELDS + CONN]! >= limits.maxConnectionsPerClient) {
        return { ok: false, limit: 'client' };
      }
      const c = existing >= 0 ? existing : this.findOrInsert(ck);
      if (r < 0 || c < 0) this.overflows++;
      const now = this.clock();
      if (r >= 0) {
        this.i32[r * I32_FIELDS + CONN]!++;
        this.f64[r * F64_FIELDS + SEEN] = now;
      }
      if (c >= 0) {
        this.i32[c * I32_FIELDS + CONN]!++;
        this.f64[c * F64_FIELDS + SEEN] = now;
      }
      return { ok: true, r, c };
    });
    if (!got.ok) return got;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        // Entries with connections are never evicted: the indexes are still theirs.
        this.lockedPair(rk.stripe, ck.stripe, () => {
          const now = this.clock();
          for (const e of [got.r, got.c]) {
            if (e < 0) continue;
            const n = --this.i32[e * I32_FIELDS + CONN]!;
            if (n <= 0 && this.isIdle(e, now)) this.remove(e);
          }
        });
      },
    };
  }

  override sweep(): void {
    const now = this.clock();
    for (let s = 0; s < this.stripes; s++) {
      this.locked(s, () => {
        for (let e = s * this.size; e < (s + 1) * this.size; e++) {
          if (this.i32[e * I32_FIELDS + USED] === 1 && this.i32[e * I32_FIELDS + CONN] === 0 && this.isIdle(e, now)) this.remove(e);
        }
      });
    }
  }

  // --- the table (callers hold the stripe lock) -----------------------------------------------

  private find(k: Key): number {
    const i = this.i32;
    for (let e = k.stripe * this.size, end = e + this.size; e < end; e++) {
      const b = e * I32_FIELDS;
      if (i[b + USED] === 1 && i[b + KA] === k.a && i[b + KB] === k.b) return e;
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
    for (let e = start; e < end && slot < 0; e++) if (i[e * I32_FIELDS + USED] !== 1) slot = e;
    if (slot < 0) slot = this.evictFrom(start, end);
    if (slot < 0) return -1;
    const b = slot * I32_FIELDS;
    i[b + USED] = 1;
    i[b + KA] = k.a;
    i[b + KB] = k.b;
    i[b + CONN] = 0;
    const f = slot * F64_FIELDS;
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
      if (this.i32[e * I32_FIELDS + CONN] !== 0) continue;
      if (this.isIdle(e, now)) return e;
      if (oldest < 0 || this.f64[e * F64_FIELDS + SEEN]! < this.f64[oldest * F64_FIELDS + SEEN]!) oldest = e;
    }
    return oldest;
  }

  private isIdle(e: number, now: number): boolean {
    return upgradeBucketFull(this.loadBucket(e), now);
  }

  /** Entry `e`'s bucket, copied into the reused `bucket`. */
  private loadBucket(e: number): UpgradeBucket {
    const f = e * F64_FIELDS;
    const bucket = this.bucket;
    bucket.tokens = this.f64[f + TOKENS]!;
    bucket.updated = this.f64[f + UPDATED]!;
    bucket.rate = this.f64[f + RATE]!;
    return bucket;
  }

  private remove(e: number): void {
    this.i32[e * I32_FIELDS + USED] = 0;
    this.i32[e * I32_FIELDS + CONN] = 0;
  }

  private lock(s: number): void {
    for (let spins = 0; Atomics.compareExchange(this.locks, s, 0, 1) !== 0; spins++) {
      if (spins < 200) continue;
      Atomics.wait(this.locks, s, 1, 1);
    }
  }

  private unlock(s: number): void {
    Atomics.store(this.locks, s, 0);
  }

  private locked<T>(s: number, fn: () => T): T {
    this.lock(s);
    try {
      return fn();
    } finally {
      this.unlock(s);
    }
  }

  /** Both stripes, always in index order (no deadlock between two threads taking the same pair). */
  private lockedPair<T>(s1: number, s2: number, fn: () => T): T {
    if (s1 === s2) return this.locked(s1, fn);
    const [lo, hi] = s1 < s2 ? [s1, s2] : [s2, s1];
    this.lock(lo);
    try {
      return this.locked(hi, fn);
    } finally {
      this.unlock(lo);
    }
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
