// The slot mapping the main thread publishes (SlotAllocator) and every thread reads: endpoint id
// -> endpoint slot and route key -> route slot, under an epoch each worker acknowledges, so a
// slot is reused only once no worker can still count on it under its old owner.

/** What SlotAllocator publishes (the `SlotMapping` message). */
export interface SlotMappingOut {
  epoch: number;
  /** Endpoint id -> endpoint slot. */
  slots: Array<[string, number]>;
  /** Route key -> cursor slot. */
  routes: Array<[string, number]>;
}

/** Endpoint id -> slot and route key -> slot, as the main thread last posted them (shared by the views). */
export class SlotMap {
  private map = new Map<string, number>();
  private routeMap = new Map<string, number>();
  epoch = 0;
  set(epoch: number, slots: Iterable<[string, number]>, routes: Iterable<[string, number]> = []): void {
    this.epoch = epoch;
    this.map = new Map(slots);
    this.routeMap = new Map(routes);
  }
  get(id: string): number {
    return this.map.get(id) ?? -1;
  }
  route(key: string): number {
    return this.routeMap.get(key) ?? -1;
  }
  ids(): IterableIterator<string> {
    return this.map.keys();
  }
}
