// The data plane's side of overload protection, over the process counters every worker shares:
// - --max-connections: an upgrade takes a process-wide slot before anything else is done for it
//   and holds it until its client socket closes; past the cap it gets 503 + Retry-After.
//   Plain requests take no slot and are still served.
// - the memory overload manager's state (decided on the main thread, overload/manager.ts):
//   Refusing and above refuse new upgrades and large plain bodies with 503 + Retry-After;
//   Shedding also closes the newest connections with 1013 at frame boundaries, as many a
//   second as the manager grants (claimed from the shared budget, so N workers together
//   close no more than that).

import type http from 'node:http';
import { OverloadState, type ProcessCounters } from '../overload/process-counters.js';
import type { ConnectionRegistry } from './connections.js';
import type { LiveConnection } from './live-connection.js';

export type OverloadAction = 'refuse_upgrade' | 'refuse_body' | 'close_connection';

export interface OverloadOptions {
  counters: ProcessCounters;
  /** Process-wide cap on upgrades in progress and established connections; 0: none. */
  maxConnections: number;
  /** While refusing, plain requests with a body larger than this (or of unknown length) get 503. */
  maxPlainBodyBytes: number;
  /** Retry-After of the 503s, in seconds. */
  retryAfterSeconds: number;
}

export interface OverloadRefusal {
  result: 'max_connections' | 'overloaded';
  status: 503;
  message: string;
  headers: Record<string, string>;
}

/** How often a data plane looks for shedding work (a shared load when there is none). */
export const SHED_TICK_MS = 100;

export class OverloadGate {
  private readonly retryAfter: Record<string, string>;

  constructor(
    private readonly opts: OverloadOptions,
    private readonly onAction: (action: OverloadAction, n?: number) => void,
  ) {
    this.retryAfter = { 'Retry-After': String(opts.retryAfterSeconds) };
  }

  /** A slot for this upgrade (its release), or the refusal. */
  upgrade(): OverloadRefusal | (() => void) {
    if (this.opts.counters.overloadState >= OverloadState.Refusing) {
      this.onAction('refuse_upgrade');
      return { result: 'overloaded', status: 503, message: 'proxy overloaded (memory); try again later', headers: this.retryAfter };
    }
    if (!this.opts.counters.tryAcquireConnection(this.opts.maxConnections)) {
      return { result: 'max_connections', status: 503, message: `proxy at its connection limit (${this.opts.maxConnections}); try again later`, headers: this.retryAfter };
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.opts.counters.releaseConnection();
    };
  }

  /** The refusal of a plain request whose body is too large to take in while memory is short. */
  plainBody(req: http.IncomingMessage): OverloadRefusal | null {
    if (this.opts.counters.overloadState < OverloadState.Refusing) return null;
    const length = req.headers['content-length'];
    const unknownLength = req.headers['transfer-encoding'] !== undefined;
    if (!unknownLength && (length === undefined || Number(length) <= this.opts.maxPlainBodyBytes)) return null;
    this.onAction('refuse_body');
    return { result: 'overloaded', status: 503, message: 'proxy overloaded (memory): request bodies above the limit are refused; try again later', headers: this.retryAfter };
  }

  /** While shedding: closes this plane's newest connections, as many as it can claim. */
  shed(connections: ConnectionRegistry): number {
    if (this.opts.counters.overloadState < OverloadState.Shedding || connections.size === 0) return 0;
    const open: LiveConnection[] = [];
    // Only connections a close frame can still end (not already closing, nor lost and closing by themselves).
    for (const c of connections.all()) if (!c.closing && !c.lost && !c.client.destroyed) open.push(c);
    const n = this.opts.counters.claimShedding(open.length);
    if (n === 0) return 0;
    // Ids grow with each connection: the highest are the newest.
    open.sort((a, b) => b.id - a.id);
    for (let i = 0; i < n; i++) open[i]!.close('overload');
    this.onAction('close_connection', n);
    return n;
  }
}
