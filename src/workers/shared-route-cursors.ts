// Pick cursors shared by every worker thread, one per route slot (shared-layout.ts) the main
// thread assigns (route-slots.ts).

import { RouteCursors } from '../balancer/cursors.js';
import { routeCursorsView, type SharedCounterBuffers } from './shared-layout.js';
import type { SlotMap } from './slot-map.js';

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
    this.shared = routeCursorsView(buffers);
  }

  override next(routeKey: string): number {
    const s = this.slots.route(routeKey);
    if (s < 0) return super.next(routeKey);
    return Atomics.add(this.shared, s, 1) + 1;
  }

  // forget(): the local cursors only; the main thread resets the slots of routes that left.
}
