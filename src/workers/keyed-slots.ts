// Key -> slot for one kind of shared slot (endpoints, routes), on the main thread. A key that
// leaves the mapping keeps its slot, retired under the epoch of the first mapping without it,
// until every worker acknowledged that epoch (and its owner says the slot is no longer counted
// on); only then is the slot free for another key.

export class KeyedSlots {
  readonly byKey = new Map<string, number>();
  /** Keys out of the mapping since epoch N: their slot is not freed before every worker acked N. */
  readonly retired = new Map<string, { slot: number; epoch: number }>();
  /** Slots given back, taken before ones never used. */
  private readonly free: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  /**
   * Gives `key` a slot: the one it has, the one it had if it came back before that slot was freed
   * (what the slot holds, a count or a rotation, is still its own), or a free one. False when
   * every slot is taken.
   */
  claim(key: string): boolean {
    if (this.byKey.has(key)) return true;
    const back = this.retired.get(key);
    if (back) {
      this.retired.delete(key);
      this.byKey.set(key, back.slot);
      return true;
    }
    const slot = this.free.pop() ?? (this.next < this.capacity ? this.next++ : -1);
    if (slot < 0) return false;
    this.byKey.set(key, slot);
    return true;
  }

  /** Takes `key` out of the mapping; `epoch`: that of the first mapping without it. */
  retire(key: string, slot: number, epoch: number): void {
    this.byKey.delete(key);
    this.retired.set(key, { slot, epoch });
  }

  /** The retired `key`'s slot is free for another key. */
  release(key: string, slot: number): void {
    this.retired.delete(key);
    this.free.push(slot);
  }

  mapping(): Array<[string, number]> {
    return [...this.byKey];
  }
}
