// The main thread's side of the route slots: one shared pick cursor (shared-route-cursors.ts)
// per route key of the table. A route that left keeps its slot until every worker acknowledged
// a mapping without it (a worker may pick with it until then); the freed slot's cursor restarts
// at 0, as a new route's would in one process.

import { routeCursorsView, type SharedCounterBuffers } from './shared-layout.js';
import { KeyedSlots } from './keyed-slots.js';

export class RouteSlots {
  private readonly cursors: Uint32Array;
  private readonly slots: KeyedSlots;
  /** Routes of the last assign that got no cursor slot (their cursor is per worker). */
  unslotted = 0;

  constructor(buffers: SharedCounterBuffers) {
    this.cursors = routeCursorsView(buffers);
    this.slots = new KeyedSlots(buffers.routeSlots);
  }

  /** Slots for the routes of a new table; `epoch`: that of the mapping about to be published. */
  assign(keys: ReadonlySet<string>, epoch: number): void {
    this.unslotted = 0;
    for (const key of keys) if (!this.slots.claim(key)) this.unslotted++;
    for (const [key, slot] of this.slots.byKey) {
      // Out of the mapping about to be published; a worker may pick with it until it acks that.
      if (!keys.has(key)) this.slots.retire(key, slot, epoch);
    }
  }

  /** Frees the slots of routes every worker has seen go (`ackedEpoch`: the lowest epoch all acknowledged). */
  collect(ackedEpoch: number): void {
    for (const [key, r] of this.slots.retired) {
      if (r.epoch > ackedEpoch) continue;
      // The next route on this slot starts its rotation as a new route in one process would.
      Atomics.store(this.cursors, r.slot, 0);
      this.slots.release(key, r.slot);
    }
  }

  /** Route key -> cursor slot, for the mapping. */
  mapping(): Array<[string, number]> {
    return this.slots.mapping();
  }
}
