// Passive health: an endpoint that refuses a connection or fails a handshake is ejected for
// an exponential backoff (1 s, 2 s, 4 s ... 30 s); a success clears its record. Ejections
// are per address:port, shared by every route, like the connection counts.

export interface EjectionState {
  failures: number;
  ejectedUntil: number;
}

export class EndpointHealth {
  private readonly records = new Map<string, EjectionState>();

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 30000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure; returns how long the endpoint is now ejected for. */
  fail(id: string): number {
    const rec = this.records.get(id) ?? { failures: 0, ejectedUntil: 0 };
    rec.failures++;
    const ms = Math.min(this.maxMs, this.baseMs * 2 ** (rec.failures - 1));
    rec.ejectedUntil = this.now() + ms;
    this.records.set(id, rec);
    return ms;
  }

  succeed(id: string): void {
    this.records.delete(id);
  }

  isEjected(id: string): boolean {
    const rec = this.records.get(id);
    return rec !== undefined && rec.ejectedUntil > this.now();
  }

  /** Ejected endpoints with the time they come back (ms since epoch). */
  snapshot(): Record<string, EjectionState> {
    const out: Record<string, EjectionState> = {};
    for (const [id, rec] of this.records) if (rec.ejectedUntil > this.now()) out[id] = { ...rec };
    return out;
  }

  /** Forgets endpoints that left every route, so the map stays bounded. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.records.delete(id);
  }
}
