// The memory every worker thread of one process shares (--workers N), and its byte layout,
// written here once: allocateCounters sizes each buffer from it and every mechanism takes its
// views of a buffer from it, so the two cannot disagree.
//
//   endpoints  per endpoint slot: the ejection end (BigInt64, ms since the epoch), then the
//              active connections and the passive-health failures (Int32 each), as three arrays
//   routes     per route slot: its pick cursor (Uint32, wraps)
//   limits     the limiter's hash table: one Int32 lock per stripe, then LIMIT_I32_FIELDS Int32
//              per entry, padded to 8 bytes, then LIMIT_F64_FIELDS Float64 per entry
//   process    the process counters (overload/process-counters.ts)
//
// The mechanisms: endpoint slots (slot-allocator.ts and keyed-slots.ts on the main thread;
// shared-endpoint-load.ts and shared-endpoint-health.ts in the workers), route slots
// (route-slots.ts, shared-route-cursors.ts) and the striped limiter table (shared-limiter.ts,
// stripe-locks.ts).

import { PROCESS_COUNTER_BYTES } from '../overload/process-counters.js';

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
  return {
    endpoints: new SharedArrayBuffer(endpointSlots * ENDPOINT_SLOT_BYTES),
    endpointSlots,
    routes: new SharedArrayBuffer(routeSlots * Uint32Array.BYTES_PER_ELEMENT),
    routeSlots,
    limits: new SharedArrayBuffer(limitTableLayout(stripes, stripeSize).bytes),
    stripes,
    stripeSize,
    process: new SharedArrayBuffer(PROCESS_COUNTER_BYTES),
  };
}

// --- endpoints -----------------------------------------------------------------------------------

const ENDPOINT_SLOT_BYTES = BigInt64Array.BYTES_PER_ELEMENT + 2 * Int32Array.BYTES_PER_ELEMENT;

/** The endpoint slots' three arrays, indexed by slot. */
export interface EndpointViews {
  readonly until: BigInt64Array;
  readonly count: Int32Array;
  readonly failures: Int32Array;
}

export function endpointViews(b: SharedCounterBuffers): EndpointViews {
  const n = b.endpointSlots;
  const countOffset = n * BigInt64Array.BYTES_PER_ELEMENT;
  return {
    until: new BigInt64Array(b.endpoints, 0, n),
    count: new Int32Array(b.endpoints, countOffset, n),
    failures: new Int32Array(b.endpoints, countOffset + n * Int32Array.BYTES_PER_ELEMENT, n),
  };
}

// --- routes --------------------------------------------------------------------------------------

/** The route slots' pick cursors, indexed by slot. */
export function routeCursorsView(b: SharedCounterBuffers): Uint32Array {
  return new Uint32Array(b.routes, 0, b.routeSlots);
}

// --- limits --------------------------------------------------------------------------------------

/** Int32 fields of a limiter entry, at `entry * LIMIT_I32_FIELDS + field`. */
export const LIMIT_I32_FIELDS = 4;
/** 1 while the entry holds a key. */
export const USED = 0;
/** The key's identity inside its stripe: two Int32 of its hash. */
export const KEY_A = 1;
export const KEY_B = 2;
/** Open connections counted on the entry. */
export const CONNECTIONS = 3;

/** Float64 fields of a limiter entry, at `entry * LIMIT_F64_FIELDS + field`. */
export const LIMIT_F64_FIELDS = 4;
/** The entry's upgrade bucket (limits/token-bucket.ts UpgradeBucket): tokens, as of `UPDATED`, at `RATE`. */
export const TOKENS = 0;
export const UPDATED = 1;
export const RATE = 2;
/** When the entry was last used (eviction picks the oldest). */
export const SEEN = 3;

interface LimitTableLayout {
  i32Offset: number;
  f64Offset: number;
  entries: number;
  bytes: number;
}

function limitTableLayout(stripes: number, stripeSize: number): LimitTableLayout {
  const entries = stripes * stripeSize;
  const i32Offset = stripes * Int32Array.BYTES_PER_ELEMENT;
  const i32End = i32Offset + entries * LIMIT_I32_FIELDS * Int32Array.BYTES_PER_ELEMENT;
  // Float64Array views start on a multiple of 8.
  const f64Offset = i32End + ((8 - (i32End % 8)) % 8);
  return { i32Offset, f64Offset, entries, bytes: f64Offset + entries * LIMIT_F64_FIELDS * Float64Array.BYTES_PER_ELEMENT };
}

/** The limiter table: a lock per stripe, and the entries' Int32 and Float64 fields. */
export interface LimitTableViews {
  readonly locks: Int32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
}

export function limitTableViews(b: SharedCounterBuffers): LimitTableViews {
  const layout = limitTableLayout(b.stripes, b.stripeSize);
  return {
    locks: new Int32Array(b.limits, 0, b.stripes),
    i32: new Int32Array(b.limits, layout.i32Offset, layout.entries * LIMIT_I32_FIELDS),
    f64: new Float64Array(b.limits, layout.f64Offset, layout.entries * LIMIT_F64_FIELDS),
  };
}
