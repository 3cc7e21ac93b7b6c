// Passive health shared by every worker thread, in the endpoint slots (shared-layout.ts) the
// main thread assigns (slot-allocator.ts): one worker's failed connect ejects the endpoint for all.

import { EndpointHealth, type EjectionState } from '../balancer/health.js';
import { endpointViews, type EndpointViews, type SharedCounterBuffers } from './shared-layout.js';
import type { SlotMap } from './slot-map.js';

/** Passive health shared by every worker: one worker's failed connect ejects the endpoint for all. */
export class SharedEndpointHealth extends EndpointHealth {
  private readonly a: EndpointViews;
  private readonly baseMsShared: number;
  private readonly maxMsShared: number;
  private readonly clock: () => number;

  constructor(
    buffers: SharedCounterBuffers,
    private readonly slots: SlotMap,
    baseMs = 1000,
    maxMs = 30000,
    now: () => number = Date.now,
  ) {
    super(baseMs, maxMs, now);
    this.a = endpointViews(buffers);
    this.baseMsShared = baseMs;
    this.maxMsShared = maxMs;
    this.clock = now;
  }

  override fail(id: string): number {
    const s = this.slots.get(id);
    if (s < 0) return super.fail(id);
    const failures = Atomics.add(this.a.failures, s, 1) + 1;
    const ms = Math.min(this.maxMsShared, this.baseMsShared * 2 ** Math.min(30, failures - 1));
    Atomics.store(this.a.until, s, BigInt(Math.round(this.clock() + ms)));
    return ms;
  }

  override succeed(id: string): void {
    const s = this.slots.get(id);
    if (s < 0) return super.succeed(id);
    if (Atomics.load(this.a.failures, s) === 0) return;
    Atomics.store(this.a.failures, s, 0);
    Atomics.store(this.a.until, s, 0n);
  }

  override isEjected(id: string): boolean {
    const s = this.slots.get(id);
    if (s < 0) return super.isEjected(id);
    return Number(Atomics.load(this.a.until, s)) > this.clock();
  }

  override snapshot(): Record<string, EjectionState> {
    const out = super.snapshot();
    const now = this.clock();
    for (const id of this.slots.ids()) {
      const s = this.slots.get(id);
      const until = Number(Atomics.load(this.a.until, s));
      if (until > now) out[id] = { failures: Atomics.load(this.a.failures, s), ejectedUntil: until };
    }
    return out;
  }

  // forget(): the local records only; the main thread resets the slots of endpoints that left.
}
