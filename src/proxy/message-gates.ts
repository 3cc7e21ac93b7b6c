// The per-connection state of spec.messages and spec.keepalive: a FrameGate each way where a
// direction needs one, the throttle, and the keepalive ping. A connection on a route with
// neither has none of this (LiveConnection.gates is null) and keeps the plain forwarding path.
//
// Keepalive runs on the registry's sweep like the other deadlines (no timer per connection);
// a throttled client has one timer, only while it is throttled.

import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { CompiledKeepalive, CompiledMessages } from '../routing/types.js';
import { FrameGate } from './frame-gate.js';
import { pingFrame, type FrameTracker } from './frame-tracker.js';
import { BackendPolicy, ClientPolicy, NONCE_LENGTH, type LimitKind } from './message-policy.js';

/** Closes for spec.messages and spec.keepalive. */
export type MessageCloseReason = 'message_size' | 'backend_message_size' | 'message_rate' | 'byte_rate' | 'pong_timeout';

/** What a connection with gates reports, for metrics. */
export interface MessageEvents {
  /** A limit stopped a direction: closed, or (rates with Throttle) the client paused. */
  limit(conn: { readonly routeKey: string }, limit: LimitKind | 'pong'): void;
  ping(conn: { readonly routeKey: string }, result: 'pong' | 'timeout'): void;
}

/** The parts of a LiveConnection the gates use. */
export interface GatedConnection {
  readonly routeKey: string;
  /** The client's socket or HTTP/2 stream. */
  readonly client: Duplex;
  readonly backend: net.Socket;
  readonly upstream: FrameTracker;
  readonly downstream: FrameTracker;
  readonly closing: unknown;
  close(reason: MessageCloseReason): void;
}

function retryThrottled(g: MessageGates): void {
  g.throttleTimer = undefined;
  if (!g.conn.closing) g.pushUp(undefined);
}

export class MessageGates {
  /** Client to backend: sizes, rates, removal of the pongs to wsgate's pings. */
  readonly up: FrameGate | null = null;
  /** Backend to client: maxBytesFromBackend, and where pings are injected. */
  readonly down: FrameGate | null = null;
  private readonly upPolicy: ClientPolicy | null = null;
  /** Throttled by a rate: the client is paused until throttleTimer retries. */
  throttled = false;
  throttleTimer: NodeJS.Timeout | undefined;
  /** Keepalive: the client sent bytes since the last sweep; when it was last heard; ping out since. */
  clientMoved = false;
  private clientHeardAt: number;
  private pingSentAt = 0;
  private ping: Buffer | null = null;

  constructor(
    readonly conn: GatedConnection,
    private readonly messages: CompiledMessages | undefined,
    private readonly keepalive: CompiledKeepalive | undefined,
    private readonly events: MessageEvents | undefined,
    now: number,
  ) {
    this.clientHeardAt = now;
    const nonce = keepalive ? randomBytes(NONCE_LENGTH) : null;
    if (nonce) this.ping = pingFrame(nonce);
    if (nonce || (messages && (messages.maxBytes || messages.rate || messages.byteRate))) {
      this.upPolicy = new ClientPolicy(messages, nonce);
      this.up = new FrameGate(this.upPolicy, (piece) => {
        conn.upstream.push(piece);
        conn.backend.write(piece);
      });
    }
    if (nonce || messages?.maxBytesFromBackend) {
      const policy = new BackendPolicy(messages?.maxBytesFromBackend ?? 0);
      this.down = new FrameGate(policy, (piece) => {
        conn.downstream.push(piece);
        conn.client.write(piece);
      });
    }
  }

  /** Client bytes through the gate (a chunk, or nothing to retry what a throttle held). */
  pushUp(chunk: Buffer | undefined): void {
    const policy = this.upPolicy!;
    const passed = this.up!.push(chunk);
    if (policy.pongs > 0) {
      policy.pongs = 0;
      if (this.pingSentAt !== 0) this.events?.ping(this.conn, 'pong');
      this.pingSentAt = 0;
    }
    if (!passed) return this.upStopped();
    const { client, backend } = this.conn;
    if (this.throttled) {
      this.throttled = false;
      if (!backend.writableNeedDrain) client.resume();
    } else if (backend.writableNeedDrain) client.pause();
  }

  /** Backend bytes through the gate. */
  pushDown(chunk: Buffer): void {
    if (!this.down!.push(chunk)) {
      if (this.down!.broken) return this.destroyBoth();
      this.events?.limit(this.conn, 'size');
      this.conn.close('backend_message_size');
    } else if (this.conn.client.writableNeedDrain) this.conn.backend.pause();
  }

  /** The client's gate stopped at a frame: close for a size or a rate (Close), or throttle. */
  private upStopped(): void {
    const policy = this.upPolicy!;
    const kind = policy.stopped!;
    if (this.up!.broken) return this.destroyBoth();
    if (kind === 'size' || this.messages?.onRateExceeded === 'Close') {
      this.events?.limit(this.conn, kind);
      this.conn.close(kind === 'size' ? 'message_size' : kind === 'rate' ? 'message_rate' : 'byte_rate');
      return;
    }
    // Throttle: nothing is read from the client until the bucket has the tokens; TCP
    // backpressure then slows the client down and nothing is lost or reordered.
    if (!this.throttled) this.events?.limit(this.conn, kind);
    this.throttled = true;
    this.conn.client.pause();
    clearTimeout(this.throttleTimer);
    this.throttleTimer = setTimeout(retryThrottled, policy.waitMs, this);
  }

  /** Not WebSocket framing any more: there is no frame boundary left for a close frame. */
  private destroyBoth(): void {
    this.conn.client.destroy();
    this.conn.backend.destroy();
  }

  /** The shortest keepalive period (ms) the sweep must resolve; 0 = none. */
  sweepPeriod(): number {
    const k = this.keepalive;
    return k ? Math.min(k.pingIntervalMs, k.pongTimeoutMs) : 0;
  }

  /** One sweep: pings a client silent for pingInterval, closes one that let pongTimeout pass. */
  check(now: number): void {
    if (!this.ping) return;
    if (this.clientMoved) {
      this.clientMoved = false;
      this.clientHeardAt = now;
    }
    const k = this.keepalive!;
    if (this.pingSentAt !== 0) {
      // A ping still waiting for a frame boundary of the backend's stream is not out yet.
      if (this.down!.injectPending()) this.pingSentAt = now;
      if (now - this.pingSentAt < k.pongTimeoutMs) return;
      this.events?.ping(this.conn, 'timeout');
      this.events?.limit(this.conn, 'pong');
      this.conn.close('pong_timeout');
    } else if (now - this.clientHeardAt >= k.pingIntervalMs) {
      this.pingSentAt = now;
      this.down!.inject(this.ping);
    }
  }

  dispose(): void {
    this.ping = null;
    clearTimeout(this.throttleTimer);
  }
}
