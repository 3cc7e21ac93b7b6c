// The set of established (piped) WebSocket connections. Table swaps never touch it: a
// connection lives until a peer closes it or a lifecycle rule (drain, shutdown) ends it.

import type net from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxiedConnection {
  readonly id: number;
  readonly routeKey: string;
  readonly endpointId: string;
  readonly client: Duplex;
  readonly backend: net.Socket;
  readonly startedAt: number;
}

export class ConnectionRegistry {
  private readonly byId = new Map<number, ProxiedConnection>();
  private nextId = 1;

  add(c: Omit<ProxiedConnection, 'id'>): ProxiedConnection {
    const conn = { ...c, id: this.nextId++ };
    this.byId.set(conn.id, conn);
    return conn;
  }

  delete(conn: ProxiedConnection): boolean {
    return this.byId.delete(conn.id);
  }

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<ProxiedConnection> {
    return this.byId.values();
  }

  countByRoute(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.byId.values()) counts.set(c.routeKey, (counts.get(c.routeKey) ?? 0) + 1);
    return counts;
  }
}
