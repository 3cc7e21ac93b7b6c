// What a table swap removed, found from the routes that changed only: the incremental compile
// hands back the very same route objects for unchanged routes, so a swap after one
// EndpointSlice event costs the endpoints of one route, not of all 100,000.

import type { RoutingTable } from '../routing/table.js';
import type { CompiledRoute } from '../routing/types.js';

export interface TableChange {
  /** Endpoint ids that no route of the new table has any more. */
  goneEndpoints: string[];
  /** Route keys of the old table that the new one lacks. */
  goneRoutes: string[];
}

export class TableDiff {
  /** Endpoint id -> how many routes of the current table list it. */
  private readonly refs = new Map<string, number>();

  advance(previous: RoutingTable, next: RoutingTable): TableChange {
    const gone = new Set<string>();
    const goneRoutes: string[] = [];
    const add = (r: CompiledRoute) => {
      for (const e of r.backend.endpoints) {
        this.refs.set(e.id, (this.refs.get(e.id) ?? 0) + 1);
        gone.delete(e.id);
      }
    };
    const drop = (r: CompiledRoute) => {
      for (const e of r.backend.endpoints) {
        const n = (this.refs.get(e.id) ?? 1) - 1;
        if (n > 0) {
          this.refs.set(e.id, n);
        } else {
          this.refs.delete(e.id);
          gone.add(e.id);
        }
      }
    };
    for (const r of next.routes) {
      const old = previous.get(r.key);
      if (old === r) continue;
      if (old) drop(old);
      add(r);
    }
    for (const r of previous.routes) {
      if (next.get(r.key)) continue;
      drop(r);
      goneRoutes.push(r.key);
    }
    // An endpoint dropped by one route and added by another processed before it is still in use.
    return { goneEndpoints: [...gone].filter((id) => !this.refs.has(id)), goneRoutes };
  }
}
