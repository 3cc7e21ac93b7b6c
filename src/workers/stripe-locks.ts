// One spin lock per stripe of the shared limiter table (shared-limiter.ts), in an Int32Array of
// shared memory: Atomics.compareExchange, and after 200 failed tries Atomics.wait with a 1 ms
// timeout. A lock is held for one scan of a stripe, so waits are short.

export class StripeLocks {
  constructor(private readonly locks: Int32Array) {}

  /** `fn` under the lock of stripe `s`. */
  locked<T>(s: number, fn: () => T): T {
    this.lock(s);
    try {
      return fn();
    } finally {
      this.unlock(s);
    }
  }

  /** Both stripes, always in index order (no deadlock between two threads taking the same pair). */
  lockedPair<T>(s1: number, s2: number, fn: () => T): T {
    if (s1 === s2) return this.locked(s1, fn);
    const [lo, hi] = s1 < s2 ? [s1, s2] : [s2, s1];
    this.lock(lo);
    try {
      return this.locked(hi, fn);
    } finally {
      this.unlock(lo);
    }
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
}
