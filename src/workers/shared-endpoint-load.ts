// Least-connections counts shared by every worker thread, in the endpoint slots
// (shared-layout.ts) the main thread assigns (slot-allocator.ts).

import { EndpointLoad } from '../balancer/load.js';
import { endpointViews, type EndpointViews, type SharedCounterBuffers } from './shared-layout.js';
import type { SlotMap } from './slot-map.js';

/**
 * Least-connections counts shared by every worker. Each worker also keeps its own count per
 * endpoint, to release what it acquired on the slot it acquired it on, and to count locally an
 * endpoint that has no slot (it left the table between the choice and the connect, or the slots
 * ran out).
 */
export class SharedEndpointLoad extends EndpointLoad {
  private readonly a: EndpointViews;
  private readonly held = new Map<string, { slot: number; n: number }>();

  constructor(
    buffers: SharedCounterBuffers,
    readonly slots: SlotMap,
  ) {
    super();
    this.a = endpointViews(buffers);
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
