// A token bucket for one connection's message or byte rate. `wait` and `take` are separate so
// that two buckets can both be checked before either is charged (a frame refused by the byte
// rate must not have spent a message token). Time is passed in (monotonic ms), not read here.

import type { CompiledRate } from '../routing/types.js';

export class TokenBucket {
  private tokens: number;
  private updated: number;
  private readonly perMs: number;
  private readonly burst: number;

  constructor(rate: CompiledRate, now: number) {
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
    this.refill(now);
    const need = n < this.burst ? n : this.burst;
    return this.tokens >= need ? 0 : Math.ceil((need - this.tokens) / this.perMs);
  }

  take(n: number): void {
    this.tokens -= n;
  }

  private refill(now: number): void {
    const t = this.tokens + (now - this.updated) * this.perMs;
    this.tokens = t < this.burst ? t : this.burst;
    this.updated = now;
  }
}
