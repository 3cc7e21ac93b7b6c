// Reconnect delays of a proxy that lost its controller: exponential, capped, with jitter so a
// thousand proxies cut off together do not come back in the same millisecond. "Equal jitter":
// half the step is fixed (a floor, so a refused proxy never spins), half is random.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Random source in [0, 1) (tests). */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** The delay before the next attempt; each call doubles the step up to maxMs. */
  next(): number {
    const step = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const random = this.opts.random ?? Math.random;
    return Math.round(step / 2 + random() * (step / 2));
  }

  /** A stream that delivered a table counts as success: the next loss starts from the first step. */
  reset(): void {
    this.attempt = 0;
  }
}
