// Active connection counts per endpoint address, shared by every route that reaches the same
// host:port, so two routes to one pod see its real load. Lives across table swaps.

export class EndpointLoad {
  private readonly active = new Map<string, number>();

  get(id: string): number {
    return this.active.get(id) ?? 0;
  }

  acquire(id: string): void {
    this.active.set(id, this.get(id) + 1);
  }

  release(id: string): void {
    const n = this.get(id) - 1;
    if (n > 0) this.active.set(id, n);
    else this.active.delete(id);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.active);
  }
}
