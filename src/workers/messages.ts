// What the main thread and its worker threads say to each other (structured-clone messages).

import type { HostPort, SecurityOptions } from './data-plane.js';
import type { SharedCounterBuffers } from './shared-layout.js';
import type { SlotMappingOut } from './slot-map.js';
import type { RouteEndpointCounts } from './rebalance.js';
import type { TableSnapshot } from './snapshot.js';

/** What the main thread asks every worker for (a `request` message; the answers come back as `response`). */
export type WorkerQuery = 'metrics' | 'stats' | 'rebalance-counts';

export interface WorkerInit {
  index: number;
  logLevel: string;
  maxHeaderSize?: number;
  endpointMetrics: boolean;
  security: SecurityOptions;
  /** The process's affinity key (from the file, or made at start): every worker signs with it. Arrives as a Uint8Array. */
  affinityKey: Uint8Array;
  /** --affinity-key-grace (ms). */
  affinityKeyGraceMs: number;
  buffers: SharedCounterBuffers;
  /** --max-connections and the overload gate's settings; the counters are `buffers.process`. */
  overload?: OverloadLimits;
}

export interface OverloadLimits {
  maxConnections: number;
  maxPlainBodyBytes: number;
  retryAfterSeconds: number;
}

/** The shared counters' slots, as SlotAllocator publishes them. */
export type SlotMapping = SlotMappingOut;

export type ToWorker =
  | { type: 'table'; snapshot: TableSnapshot; slots: SlotMapping }
  | { type: 'slots'; slots: SlotMapping }
  /** The process's affinity key changed (arrives as a Uint8Array). */
  | { type: 'affinity-key'; key: Uint8Array }
  | { type: 'listen'; listen: HostPort; tlsListen?: HostPort }
  | { type: 'request'; id: number; what: WorkerQuery }
  | { type: 'rebalance'; plan: RouteEndpointCounts }
  | { type: 'shutdown'; graceMs: number }
  | { type: 'stop' };

export interface WorkerStats {
  index: number;
  threadId: number;
  version: number;
  connections: number;
  /** This worker's own open connections per endpoint id. */
  endpoints: Record<string, number>;
}

export type FromWorker =
  | { type: 'listening'; proxy: HostPort; tls?: HostPort }
  | { type: 'failed'; message: string }
  | { type: 'applied'; version: number }
  | { type: 'slots-acked'; epoch: number }
  | { type: 'reply'; id: number; data: unknown }
  | { type: 'stopped' };
