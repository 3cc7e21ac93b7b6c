// Counters of the whole process, one Int32 each in one small buffer: a SharedArrayBuffer that
// every worker thread of --workers N maps (allocated with the other shared counters in
// src/workers/shared-layout.ts), or a plain one in a single-threaded process. Read and written
// with Atomics only, so a worker's check-and-increment cannot race another's.

/** Slot indexes of the process counters. */
const CONNECTIONS = 0; // WebSocket upgrades in progress or established, all workers together
const OVERLOAD_STATE = 1; // the memory overload manager's state (OverloadState), written by the main thread
const SHED_BUDGET = 2; // connections the workers may still close with 1013 in this second
const HEAP_PEAK = 3; // the highest V8 heap use reported by a worker since the last read, in permille of its limit
const SLOTS = 4;

export const PROCESS_COUNTER_BYTES = SLOTS * 4;

/** What the memory overload manager decided (see overload/manager.ts); ordered by severity. */
export enum OverloadState {
  Normal = 0,
  /** New upgrades and large plain bodies are refused (503). */
  Refusing = 1,
  /** As Refusing, and the newest connections are closed with 1013, a bounded number a second. */
  Shedding = 2,
}

export class ProcessCounters {
  private readonly a: Int32Array;

  constructor(buffer: SharedArrayBuffer | ArrayBuffer = new ArrayBuffer(PROCESS_COUNTER_BYTES)) {
    this.a = new Int32Array(buffer, 0, SLOTS);
  }

  /**
   * Takes a connection slot unless `max` are taken (0: no cap). A compare-and-swap loop, so two
   * workers racing for the last slot cannot both get it.
   */
  tryAcquireConnection(max: number): boolean {
    for (;;) {
      const n = Atomics.load(this.a, CONNECTIONS);
      if (max > 0 && n >= max) return false;
      if (Atomics.compareExchange(this.a, CONNECTIONS, n, n + 1) === n) return true;
    }
  }

  releaseConnection(): void {
    Atomics.sub(this.a, CONNECTIONS, 1);
  }

  get connections(): number {
    return Atomics.load(this.a, CONNECTIONS);
  }

  get overloadState(): OverloadState {
    return Atomics.load(this.a, OVERLOAD_STATE) as OverloadState;
  }

  set overloadState(s: OverloadState) {
    Atomics.store(this.a, OVERLOAD_STATE, s);
  }

  /** The main thread grants this many 1013 closes for the coming interval (replacing what was left). */
  grantShedding(n: number): void {
    Atomics.store(this.a, SHED_BUDGET, n);
  }

  /** A worker claims up to `want` of the granted closes; returns how many it got. */
  claimShedding(want: number): number {
    for (;;) {
      const left = Atomics.load(this.a, SHED_BUDGET);
      const take = Math.min(left, want);
      if (take <= 0) return 0;
      if (Atomics.compareExchange(this.a, SHED_BUDGET, left, left - take) === left) return take;
    }
  }

  /** A worker reports its V8 heap use (permille of its heap limit); the highest since the last take wins. */
  reportHeap(permille: number): void {
    for (;;) {
      const old = Atomics.load(this.a, HEAP_PEAK);
      if (old >= permille || Atomics.compareExchange(this.a, HEAP_PEAK, old, permille) === old) return;
    }
  }

  /** The highest worker heap use reported since the last call (permille), and starts over. */
  takeHeapPeak(): number {
    return Atomics.exchange(this.a, HEAP_PEAK, 0);
  }
}
