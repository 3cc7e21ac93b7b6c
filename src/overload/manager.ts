// The memory overload manager, after Envoy's: it reads how full memory is and puts the process
// in a state every data plane acts on (src/proxy/overload-gate.ts):
//   pressure = the highest of: cgroup working set / cgroup limit, and V8 heap used / heap limit
//              (this thread's, and the highest any worker reported since the last check)
//   pressure >= refuseAt -> Refusing: new upgrades and large plain bodies get 503
//   pressure >= shedAt   -> Shedding: also the newest connections are closed with 1013, at most
//                           shedPerSecond a second across the process
// Closing the newest first keeps the long-lived sessions, and spreading the closes lets their
// clients reconnect elsewhere rather than all at once after an OOM kill would have dropped
// every connection without a close frame.
// Readings come through `read` (cgroup files, v8 heap statistics; tests pass their own).

import v8 from 'node:v8';
import { readCgroupMemory } from './cgroup.js';
import { OverloadState, type ProcessCounters } from './process-counters.js';

export interface MemoryReading {
  /** Cgroup working set and limit; absent when there is no cgroup or no limit. */
  cgroup?: { usedBytes: number; limitBytes: number };
  /** This thread's V8 heap. */
  heap: { usedBytes: number; limitBytes: number };
}

export interface Thresholds {
  /** Fraction of the limit (0..1] at which new work is refused. */
  refuseAt: number;
  /** Fraction of the limit (0..1] at which the newest connections are closed (>= refuseAt). */
  shedAt: number;
}

export interface ManagerOptions extends Thresholds {
  counters: ProcessCounters;
  /** Connections closed with 1013 per second, process-wide, while shedding. */
  shedPerSecond: number;
  intervalMs: number;
  read: () => MemoryReading;
  /** The state changed (logging). */
  onState?: (state: OverloadState, pressure: number) => void;
}

/** The state for a pressure (fraction of the limit in use). */
export function stateFor(pressure: number, t: Thresholds): OverloadState {
  if (pressure >= t.shedAt) return OverloadState.Shedding;
  if (pressure >= t.refuseAt) return OverloadState.Refusing;
  return OverloadState.Normal;
}

/** The highest fraction in use among the readings. */
export function pressureOf(r: MemoryReading, workerHeapPermille = 0): number {
  let p = r.heap.limitBytes > 0 ? r.heap.usedBytes / r.heap.limitBytes : 0;
  if (r.cgroup && r.cgroup.limitBytes > 0) p = Math.max(p, r.cgroup.usedBytes / r.cgroup.limitBytes);
  return Math.max(p, workerHeapPermille / 1000);
}

/** The real readings: the cgroup under `cgroupRoot` and this thread's V8 heap. */
export function systemMemoryReader(cgroupRoot: string): () => MemoryReading {
  return () => {
    const cg = readCgroupMemory(cgroupRoot);
    const h = v8.getHeapStatistics();
    return {
      ...(cg?.limitBytes !== undefined ? { cgroup: { usedBytes: cg.workingSetBytes, limitBytes: cg.limitBytes } } : {}),
      heap: { usedBytes: h.used_heap_size, limitBytes: h.heap_size_limit },
    };
  };
}

/** This thread's V8 heap use in permille of its limit (what a worker reports). */
export function heapPermille(): number {
  const h = v8.getHeapStatistics();
  return Math.round((h.used_heap_size / h.heap_size_limit) * 1000);
}

export class OverloadManager {
  private timer: NodeJS.Timeout | undefined;
  private lastPressure = 0;
  /** Closes granted but not yet handed out (a budget under one per check). */
  private carry = 0;

  constructor(private readonly opts: ManagerOptions) {}

  get state(): OverloadState {
    return this.opts.counters.overloadState;
  }

  get pressure(): number {
    return this.lastPressure;
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.opts.counters.overloadState = OverloadState.Normal;
    this.opts.counters.grantShedding(0);
  }

  /** One reading and decision (the timer's; tests call it directly). */
  check(): OverloadState {
    const { counters } = this.opts;
    const pressure = pressureOf(this.opts.read(), counters.takeHeapPeak());
    this.lastPressure = pressure;
    const state = stateFor(pressure, this.opts);
    const before = counters.overloadState;
    counters.overloadState = state;
    if (state === OverloadState.Shedding) {
      // The budget of one interval; what is not claimed by then lapses (it was meant for then).
      const due = (this.opts.shedPerSecond * this.opts.intervalMs) / 1000 + this.carry;
      const whole = Math.floor(due);
      this.carry = due - whole;
      counters.grantShedding(whole);
    } else {
      this.carry = 0;
      counters.grantShedding(0);
    }
    if (state !== before) this.opts.onState?.(state, pressure);
    return state;
  }
}
