// The main thread's side of the shared counters' slots. Endpoints: one slot per endpoint id
// (active connections, passive-health failures and the time the ejection ends), posted with
// every table. A slot is freed only when its count is 0, its endpoint left the table and every
// worker acknowledged a mapping without it, so a slot never counts for two endpoints. Routes:
// one cursor slot per route key (route-slots.ts), published in the same mapping.

import { KeyedSlots } from './keyed-slots.js';
import { RouteSlots } from './route-slots.js';
import { endpointViews, type EndpointViews, type SharedCounterBuffers } from './shared-layout.js';
import { SlotMap, type SlotMappingOut } from './slot-map.js';

/**
 * Assigns a slot to every endpoint of a new table, keeps the slot of an endpoint that left while
 * connections may still count on it, and frees it once its count is 0 and every worker
 * acknowledged a mapping without it.
 */
export class SlotAllocator {
  private readonly a: EndpointViews;
  /** Endpoint id -> slot; a retired slot is freed once every worker acked its epoch and its count is 0. */
  private readonly endpoints: KeyedSlots;
  private readonly routes: RouteSlots;
  /** Endpoints that left the table but keep their slot (still in the posted mapping). */
  private readonly leaving = new Set<string>();
  private epochCounter = 0;
  /** Endpoints that got no slot because all were taken (counted per worker only). */
  unslotted = 0;

  constructor(
    buffers: SharedCounterBuffers,
    readonly slots: SlotMap = new SlotMap(),
  ) {
    this.a = endpointViews(buffers);
    this.endpoints = new KeyedSlots(buffers.endpointSlots);
    this.routes = new RouteSlots(buffers);
  }

  get used(): number {
    return this.endpoints.byKey.size + this.endpoints.retired.size;
  }

  /** Routes that got no cursor slot (their cursor is per worker). */
  get unslottedRoutes(): number {
    return this.routes.unslotted;
  }

  /**
   * The mapping for a table with these endpoint ids and route keys; also resets the health of
   * endpoints that left.
   */
  assign(ids: ReadonlySet<string>, routeKeys: ReadonlySet<string> = new Set()): SlotMappingOut {
    this.unslotted = 0;
    this.routes.assign(routeKeys, this.epochCounter + 1);
    for (const id of ids) {
      this.leaving.delete(id);
      if (!this.endpoints.claim(id)) this.unslotted++;
    }
    for (const [id, slot] of this.endpoints.byKey) {
      if (ids.has(id) || this.leaving.has(id)) continue;
      // Passive health is forgotten when an endpoint leaves, as in one process.
      this.leaving.add(id);
      Atomics.store(this.a.failures, slot, 0);
      Atomics.store(this.a.until, slot, 0n);
    }
    return this.publish();
  }

  /**
   * Retires leaving endpoints whose count is 0 (a new mapping without them, or undefined when
   * nothing changed) and frees retired slots every worker has seen go (`ackedEpoch`: the lowest
   * epoch all workers acknowledged).
   */
  collect(ackedEpoch: number): SlotMappingOut | undefined {
    this.routes.collect(ackedEpoch);
    for (const [id, r] of this.endpoints.retired) {
      if (r.epoch > ackedEpoch) continue;
      if (Atomics.load(this.a.count, r.slot) !== 0) continue;
      Atomics.store(this.a.failures, r.slot, 0);
      Atomics.store(this.a.until, r.slot, 0n);
      this.endpoints.release(id, r.slot);
    }
    let changed = false;
    for (const id of [...this.leaving]) {
      const slot = this.endpoints.byKey.get(id)!;
      if (Atomics.load(this.a.count, slot) !== 0) continue;
      this.leaving.delete(id);
      this.endpoints.retire(id, slot, this.epochCounter + 1);
      changed = true;
    }
    return changed ? this.publish() : undefined;
  }

  private publish(): SlotMappingOut {
    const slots = this.endpoints.mapping();
    const routes = this.routes.mapping();
    this.slots.set(++this.epochCounter, slots, routes);
    return { epoch: this.epochCounter, slots, routes };
  }
}
