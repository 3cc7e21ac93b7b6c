// Readiness by connection count, with hysteresis: not ready once the count reaches the
// high-water mark, ready again only once it is down to the low-water mark. Between the two the
// answer stays what it was, so a pod near its mark does not flap in and out of the Service's
// endpoints with every connection that opens or closes. Open connections are never touched:
// only new clients are sent elsewhere (kube-proxy / the load balancer stop picking the pod).

export interface WaterMarks {
  /** Connections at which the pod reports not ready. */
  high: number;
  /** Connections at which it reports ready again (below `high`). */
  low: number;
}

/** The marks for `maxConnections` and fractions of it (0 < lowFraction < highFraction <= 1). */
export function waterMarks(maxConnections: number, highFraction: number, lowFraction: number): WaterMarks {
  const high = Math.max(1, Math.ceil(maxConnections * highFraction));
  const low = Math.min(high - 1, Math.floor(maxConnections * lowFraction));
  return { high, low: Math.max(0, low) };
}

export type CapacityState = 'accepting' | 'full';

export class CapacityReadiness {
  private state: CapacityState = 'accepting';

  constructor(readonly marks: WaterMarks | undefined) {}

  /** The state after seeing `connections` now. */
  update(connections: number): CapacityState {
    if (!this.marks) return this.state;
    if (this.state === 'accepting' && connections >= this.marks.high) this.state = 'full';
    else if (this.state === 'full' && connections <= this.marks.low) this.state = 'accepting';
    return this.state;
  }

  get current(): CapacityState {
    return this.state;
  }
}
