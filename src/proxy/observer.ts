import type { AffinityResult, UpgradeResult } from '../pipeline/context.js';
import type { Protocol } from '../pipeline/responder.js';
import type { CompiledRoute } from '../routing/types.js';
import type { LiveConnection as ProxiedConnection, MessageEvents } from './live-connection.js';
import type { OverloadAction } from './overload-gate.js';
import type { RetryReason } from './exchange-outcome.js';

export type { UpgradeResult } from '../pipeline/context.js';

/** One finished plain HTTP request, for metrics and the access log. */
export interface HttpRequestRecord {
  route: CompiledRoute | null;
  /** What the client spoke to wsgate. */
  protocol: Protocol;
  method: string;
  /** The status answered; 499 when the client left before the response was complete. */
  status: number;
  seconds: number;
  endpointId: string | undefined;
  client: string;
  /** The subject of the client certificate the TLS handshake verified (mutual TLS); absent: none. */
  clientCert?: string;
  requestId: string | undefined;
  /** Request target as received, without the query (it may carry credentials). */
  path: string;
  bytesIn: number;
  bytesOut: number;
}

/** What an HTTP/2 stream carries: an RFC 8441 WebSocket (extended CONNECT) or a request. */
export type H2StreamKind = 'websocket' | 'request';

/** The observe stage: lifecycle events of the data plane; metrics and access logs implement it. */
export interface ProxyObserver {
  upgrade(route: CompiledRoute | null, result: UpgradeResult, seconds: number, protocol: Protocol): void;
  opened(conn: ProxiedConnection): void;
  closed(conn: ProxiedConnection): void;
  /** Passive health took an endpoint out of rotation after a failure. */
  ejected(route: CompiledRoute, endpointId: string): void;
  httpRequest(record: HttpRequestRecord): void;
  /** A plain request is tried again (a refused connection, or its route's retry policy). */
  httpRetry(route: CompiledRoute, reason: RetryReason): void;
  affinity(route: CompiledRoute, result: AffinityResult): void;
  /** The overload protection acted (`n` times: connections closed in one pass). */
  overloadAction(action: OverloadAction, n?: number): void;
  /** An HTTP/2 session opened (+1) or closed (-1), on any listener. */
  h2Session(change: 1 | -1): void;
  /** An HTTP/2 stream the server accepted opened (+1) or closed (-1). */
  h2Stream(kind: H2StreamKind, change: 1 | -1): void;
  /** Limits and pings of connections on routes with spec.messages/keepalive; absent: not observed. */
  readonly messageEvents?: MessageEvents;
}

export const noopObserver: ProxyObserver = {
  upgrade() {},
  opened() {},
  closed() {},
  ejected() {},
  httpRequest() {},
  httpRetry() {},
  affinity() {},
  overloadAction() {},
  h2Session() {},
  h2Stream() {},
};
