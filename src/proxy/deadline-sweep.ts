// Items that must be done within a fixed time of their arrival, in one insertion-ordered set that
// one interval sweeps (no timer or closure per item): arrivals are in time order, so a sweep stops
// at the first item still within its time. Used for connections that must send something
// (a request head, a PROXY header) in time.

export class DeadlineSweep<T> {
  private readonly waiting = new Map<T, number>();
  private readonly timer: NodeJS.Timeout;

  /** `expire` is called once for each item still waiting `ms` after add(). */
  constructor(
    private readonly ms: number,
    private readonly expire: (item: T) => void,
  ) {
    const period = Math.min(1000, Math.max(10, Math.floor(ms / 8)));
    this.timer = setInterval(() => this.sweep(), period);
    this.timer.unref();
  }

  add(item: T): void {
    this.waiting.set(item, performance.now());
  }

  /** True when the item was waiting (it is not any more). */
  delete(item: T): boolean {
    return this.waiting.delete(item);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    const now = performance.now();
    // Oldest first: stop at the first one still within its time.
    for (const [item, arrived] of this.waiting) {
      if (now - arrived < this.ms) break;
      this.waiting.delete(item);
      this.expire(item);
    }
  }
}
