// One established, piped WebSocket connection and the ways wsgate may end it. Closing is done
// like a WebSocket server would: finish the frame the backend is sending, then a close frame
// with a code, then FIN; never a reset in the middle of a frame.

import type net from 'node:net';
import { closeFrame, FrameTracker } from './frame-tracker.js';

export type CloseReason = 'drain' | 'shutdown' | 'idle_timeout' | 'max_lifetime' | 'rebalance';

export const CLOSE_CODES: Record<CloseReason, number> = {
  drain: 1001, // Going Away: the endpoint left
  shutdown: 1001, // Going Away: wsgate is stopping
  idle_timeout: 1001, // Going Away: nothing moved for timeouts.idle
  max_lifetime: 1012, // Service Restart: reconnect, the session reached timeouts.maxLifetime
  rebalance: 1012, // Service Restart: reconnect to land on a less loaded endpoint
};

const CLOSE_TEXT: Record<CloseReason, string> = {
  drain: 'endpoint draining',
  shutdown: 'proxy shutting down',
  idle_timeout: 'idle timeout',
  max_lifetime: 'maximum lifetime reached',
  rebalance: 'rebalancing',
};

/** How long a closing connection may take to finish its frame and hear the client's reply. */
const CLOSING_GRACE_MS = 5000;

/**
 * The other side of a connection whose peer is gone: finish sending what it has (FIN after
 * it), read and drop whatever still arrives so its own FIN is seen and it closes by itself,
 * and destroy it if that takes longer than CLOSING_GRACE_MS (a peer that never reads).
 */
function letGo(socket: net.Socket): void {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), CLOSING_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

export interface LiveConnectionInit {
  id: number;
  routeKey: string;
  endpointId: string;
  client: net.Socket;
  backend: net.Socket;
  requestId?: string;
  /** Who the client is (X-Forwarded-For behind a trusted proxy), for the access log. */
  clientAddress: string;
}

export class LiveConnection {
  readonly id: number;
  readonly routeKey: string;
  readonly endpointId: string;
  readonly client: net.Socket;
  readonly backend: net.Socket;
  readonly requestId: string | undefined;
  readonly clientAddress: string;
  readonly startedAt = Date.now();
  /** Backend-to-client frames: where a close frame may be injected, and the backend's close code. */
  readonly downstream = new FrameTracker();
  /** Client-to-backend frames: the client's close code. */
  readonly upstream = new FrameTracker();
  /** Why wsgate is closing it, once it started to. */
  closing: CloseReason | null = null;
  private drainTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;

  // wsgate forwards the bytes itself rather than through the pipes http-proxy-3 sets up after
  // the 101: one listener per direction both forwards and follows frame boundaries, with
  // backpressure by pause/resume, which costs less CPU and memory per connection than pipe().
  private readonly onBackendData = (chunk: Buffer): void => {
    this.downstream.push(chunk);
    if (!this.client.write(chunk)) this.backend.pause();
  };
  private readonly onClientData = (chunk: Buffer): void => {
    this.upstream.push(chunk);
    if (!this.backend.write(chunk)) this.client.pause();
  };
  private readonly onClientDrain = (): void => {
    if (!this.closing) this.backend.resume();
  };
  private readonly onBackendDrain = (): void => {
    if (!this.closing) this.client.resume();
  };
  private readonly onBackendEnd = (): void => {
    this.client.end();
  };
  private readonly onClientEnd = (): void => {
    this.backend.end();
  };

  constructor(init: LiveConnectionInit) {
    this.id = init.id;
    this.routeKey = init.routeKey;
    this.endpointId = init.endpointId;
    this.client = init.client;
    this.backend = init.backend;
    this.requestId = init.requestId;
    this.clientAddress = init.clientAddress;
    const { client, backend } = this;
    // Called from http-proxy-3's "open", in the same tick as its pipe() calls: no byte has
    // moved yet. unpipe() leaves both paused; resume() starts the flow through our listeners.
    backend.unpipe(client);
    client.unpipe(backend);
    backend.on('data', this.onBackendData);
    client.on('data', this.onClientData);
    client.on('drain', this.onClientDrain);
    backend.on('drain', this.onBackendDrain);
    backend.once('end', this.onBackendEnd);
    client.once('end', this.onClientEnd);
    backend.resume();
    client.resume();
    // When one side goes away, the other only gets a FIN; if it is paused (backpressure) it
    // would never read its peer's FIN and its socket (and fd) would stay open forever.
    // wsgate's own close() handles both sides itself.
    this.backend.once('close', () => {
      if (!this.closing) letGo(this.client);
    });
    this.client.once('close', () => {
      if (!this.closing) letGo(this.backend);
    });
  }

  /** The code the connection ended with, as far as wsgate saw: its own, the backend's, the client's. */
  closeCode(): number {
    if (this.closing) return CLOSE_CODES[this.closing];
    const first = this.firstCloser();
    return first ? first.closeCode : 1006;
  }

  /** Who ended it: wsgate (its reason), the peer whose close frame came first, or neither. */
  closedBy(): CloseReason | 'backend' | 'client' | 'disconnect' {
    if (this.closing) return this.closing;
    const first = this.firstCloser();
    return first === this.downstream ? 'backend' : first === this.upstream ? 'client' : 'disconnect';
  }

  private firstCloser(): FrameTracker | undefined {
    const d = this.downstream.closeOrder;
    const u = this.upstream.closeOrder;
    if (!d && !u) return undefined;
    if (!u || (d && d < u)) return this.downstream;
    return this.upstream;
  }

  /** Idle = no bytes either way: the client socket's timer sees both its reads and writes. */
  setIdleTimeout(ms: number): void {
    if (ms <= 0) return;
    this.client.setTimeout(ms, () => this.close('idle_timeout'));
  }

  setMaxLifetime(ms: number): void {
    if (ms <= 0) return;
    this.lifetimeTimer = setTimeout(() => this.close('max_lifetime'), ms);
    this.lifetimeTimer.unref();
  }

  isDraining(): boolean {
    return this.drainTimer !== undefined;
  }

  /** The endpoint left the table: close after `ms` unless it comes back first. */
  startDrain(ms: number): void {
    if (this.drainTimer || this.closing) return;
    this.drainTimer = setTimeout(() => this.close('drain'), ms);
    this.drainTimer.unref();
  }

  cancelDrain(): void {
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  /** Both sockets are gone: stop every timer. */
  dispose(): void {
    clearTimeout(this.drainTimer);
    clearTimeout(this.lifetimeTimer);
    this.client.setTimeout(0);
  }

  /**
   * Ends the connection with a close frame to the client at the next frame boundary of the
   * backend's stream, then closes the backend side. Idempotent.
   */
  close(reason: CloseReason): void {
    if (this.closing || this.client.destroyed) return;
    this.closing = reason;
    this.dispose();
    const { client, backend, downstream } = this;
    // From here on nothing is forwarded as is: the rest of the backend's frame, then the close.
    backend.removeListener('data', this.onBackendData);
    backend.removeListener('end', this.onBackendEnd);
    client.removeListener('data', this.onClientData);
    client.removeListener('end', this.onClientEnd);
    backend.pause();
    // The client's answer (its close frame) is read and dropped; it must not reach the backend.
    client.resume();
    const giveUp = setTimeout(() => {
      client.destroy();
      backend.destroy();
    }, CLOSING_GRACE_MS);
    giveUp.unref();
    client.once('close', () => clearTimeout(giveUp));

    const finish = () => {
      backend.removeListener('data', forwardRest);
      backend.destroy();
      client.end(closeFrame(CLOSE_CODES[reason], CLOSE_TEXT[reason]));
    };
    // A frame already under way is forwarded to its last byte, then the close frame follows.
    const forwardRest = (chunk: Buffer) => {
      const n = downstream.consumeUntilBoundary(chunk);
      if (n < 0) {
        // Not WebSocket framing any more: no safe place for a close frame.
        client.destroy();
        backend.destroy();
        return;
      }
      if (n > 0) client.write(chunk.subarray(0, n));
      if (downstream.atBoundary()) finish();
    };
    if (downstream.atBoundary()) {
      finish();
      return;
    }
    backend.on('data', forwardRest);
    backend.resume();
  }
}
