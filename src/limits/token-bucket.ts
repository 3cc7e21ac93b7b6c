// The one token bucket of the data plane, for the three places that meter a rate: the upgrade
// rate of a client on a route (security/rate-limit.ts, state in plain objects), the same across
// worker threads (workers/shared-limiter.ts, state in a SharedArrayBuffer under a stripe lock),
// and a connection's message and byte rates (proxy/message-policy.ts). The refill arithmetic is
// written here once, over a state whose storage is the caller's: an object's fields, or values
// copied out of and back into a Float64Array. Time is passed in (monotonic ms), not read here.
//
// What stays apart, because the rules differ: an upgrade takes one token and is refused with a
// Retry-After in whole seconds, and its bucket follows a rate that can change with a table swap;
// a message bucket's rate is fixed for its connection, a frame asks for n tokens, may overdraw
// the bucket (a frame larger than the burst still passes) and is throttled by milliseconds.

import { defaultBurst } from '../api/defaults.js';

/** What a bucket holds: `tokens` as of `updated` (monotonic ms). */
export interface BucketState {
  tokens: number;
  updated: number;
}

/**
 * The tokens a bucket holds at `now`: what it held plus what refilled since `updated`, at most
 * `burst`. A clock reading older than `updated` (another thread's clock) refills nothing.
 */
function tokensAt(bucket: BucketState, now: number, perSecond: number, burst: number): number {
  const tokens = bucket.tokens + (Math.max(0, now - bucket.updated) / 1000) * perSecond;
  return tokens < burst ? tokens : burst;
}

/** Burst of an upgrade bucket: one second's worth, at least one upgrade (the rule of message rates too). */
export const burstFor = defaultBurst;

export type TokenResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A client's upgrade bucket on a route; `rate` is that of its last take (0: never taken). */
export interface UpgradeBucket extends BucketState {
  rate: number;
}

/** Takes one upgrade token at `rate` per second, updating `bucket` in place. */
export function takeUpgradeToken(bucket: UpgradeBucket, rate: number, now: number): TokenResult {
  const burst = burstFor(rate);
  if (bucket.rate !== rate) {
    // New or changed limit: start from a full bucket of the new size (never above it).
    bucket.tokens = bucket.rate === 0 ? burst : Math.min(bucket.tokens, burst);
    bucket.rate = rate;
    bucket.updated = now;
  }
  bucket.tokens = tokensAt(bucket, now, rate, burst);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { ok: true };
  }
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
}

/** Whether the bucket has refilled (or was never used): its entry can be forgotten. */
export function upgradeBucketFull(bucket: UpgradeBucket, now: number): boolean {
  if (bucket.rate === 0) return true;
  const burst = burstFor(bucket.rate);
  return tokensAt(bucket, now, bucket.rate, burst) >= burst;
}

/** A connection's message or byte rate. */
export interface MessageRate {
  perSecond: number;
  burst: number;
}

/**
 * A token bucket for one connection's message or byte rate. `wait` and `take` are separate so
 * that two buckets can both be checked before either is charged (a frame refused by the byte
 * rate must not have spent a message token).
 */
export class MessageBucket implements BucketState {
  tokens: number;
  updated: number;
  private readonly perSecond: number;
  private readonly perMs: number;
  private readonly burst: number;

  constructor(rate: MessageRate, now: number) {
    this.perSecond = rate.perSecond;
    this.perMs = rate.perSecond / 1000;
    this.burst = rate.burst;
    this.tokens = rate.burst;
    this.updated = now;
  }

  /**
   * Milliseconds until `n` tokens may be taken (0: now). A request larger than the bucket
   * waits only for a full bucket and then drives it negative: a frame bigger than the burst
   * still passes, and what it overdrew delays the frames after it.
   */
  wait(n: number, now: number): number {
    this.tokens = tokensAt(this, now, this.perSecond, this.burst);
    this.updated = now;
    const need = n < this.burst ? n : this.burst;
    return this.tokens >= need ? 0 : Math.ceil((need - this.tokens) / this.perMs);
  }

  take(n: number): void {
    this.tokens -= n;
  }
}
