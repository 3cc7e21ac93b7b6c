// One established WebSocket connection and the ways wsgate may end it. Closing is done like a
// WebSocket server would: finish the frame the backend is sending, then a close frame with a
// code, then FIN; never a reset in the middle of a frame.
//
// Memory: a connection is this object, its two sockets and two FrameTrackers (a few integers
// each). Nothing of the handshake (request, response, head buffers) is kept, the socket
// listeners are module-level functions shared by every connection (each socket points back
// to its connection through one symbol property), and no connection has a timer of its own:
// the registry's one sweep checks idle, lifetime and drain deadlines.

import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { CompiledKeepalive, CompiledMessages } from '../routing/types.js';
import { FrameGate } from './frame-gate.js';
import { closeFrame, FrameTracker, maskedCloseFrame, pingFrame } from './frame-tracker.js';
import { BackendPolicy, ClientPolicy, NONCE_LENGTH, type LimitKind } from './message-policy.js';

/** Closes for spec.messages and spec.keepalive (the client's code first, see BACKEND_CLOSE). */
export type MessageCloseReason = 'message_size' | 'backend_message_size' | 'message_rate' | 'byte_rate' | 'pong_timeout';

export type CloseReason = 'drain' | 'shutdown' | 'idle_timeout' | 'max_lifetime' | 'rebalance' | MessageCloseReason;

export const CLOSE_CODES: Record<CloseReason, number> = {
  drain: 1001, // Going Away: the endpoint left
  shutdown: 1001, // Going Away: wsgate is stopping
  idle_timeout: 1001, // Going Away: nothing moved for timeouts.idle
  max_lifetime: 1012, // Service Restart: reconnect, the session reached timeouts.maxLifetime
  rebalance: 1012, // Service Restart: reconnect to land on a less loaded endpoint
  message_size: 1009, // Message Too Big: over messages.maxBytes
  backend_message_size: 1011, // Internal Error: the backend sent more than messages.maxBytesFromBackend
  message_rate: 1008, // Policy Violation: over messages.rate with onRateExceeded Close
  byte_rate: 1008, // Policy Violation: over messages.byteRate with onRateExceeded Close
  pong_timeout: 1001, // Going Away: no pong within keepalive.pongTimeout
};

const CLOSE_TEXT: Record<CloseReason, string> = {
  drain: 'endpoint draining',
  shutdown: 'proxy shutting down',
  idle_timeout: 'idle timeout',
  max_lifetime: 'maximum lifetime reached',
  rebalance: 'rebalancing',
  message_size: 'message over messages.maxBytes',
  backend_message_size: 'backend message over messages.maxBytesFromBackend',
  message_rate: 'over messages.rate',
  byte_rate: 'over messages.byteRate',
  pong_timeout: 'no pong within keepalive.pongTimeout',
};

/**
 * The close frame the backend gets (masked, as from a client) when wsgate closes for a message
 * limit: a clean close at a boundary of the client's stream. Other reasons end the backend's
 * connection without one, as before.
 */
const BACKEND_CLOSE: Partial<Record<CloseReason, { code: number; text: string }>> = {
  message_size: { code: 1001, text: 'client closed: message over messages.maxBytes' },
  backend_message_size: { code: 1009, text: 'message over messages.maxBytesFromBackend' },
  message_rate: { code: 1001, text: 'client closed: over messages.rate' },
  byte_rate: { code: 1001, text: 'client closed: over messages.byteRate' },
  pong_timeout: { code: 1001, text: 'client closed: no pong within keepalive.pongTimeout' },
};

/** What a connection with spec.messages or spec.keepalive reports, for metrics. */
export interface MessageEvents {
  /** A limit stopped a direction: closed, or (rates with Throttle) the client paused. */
  limit(conn: LiveConnection, limit: LimitKind | 'pong'): void;
  ping(conn: LiveConnection, result: 'pong' | 'timeout'): void;
}

/** The backend's connection died after frames had flowed: 1011 Internal Error. */
export const BACKEND_LOST = 1011;
/** The backend's connection died before it sent a single frame after its 101: 1014 Bad Gateway. */
export const BACKEND_NEVER_ANSWERED = 1014;
const LOST_FRAME = closeFrame(BACKEND_LOST, 'backend connection lost');
const NEVER_ANSWERED_FRAME = closeFrame(BACKEND_NEVER_ANSWERED, 'backend went away before answering');

/** How long a closing connection may take to finish its frame and hear the client's reply. */
const CLOSING_GRACE_MS = 5000;

const kConn = Symbol('wsgate.connection');
type Tagged = net.Socket & { [kConn]?: LiveConnection };

function destroySocket(this: net.Socket): void {
  this.destroy();
}
function clearOnClose(this: net.Socket & { [kGiveUp]?: NodeJS.Timeout }): void {
  clearTimeout(this[kGiveUp]);
}
const kGiveUp = Symbol('wsgate.giveUp');

/**
 * The other side of a connection whose peer is gone: finish sending what it has (FIN after
 * it), read and drop whatever still arrives so its own FIN is seen and it closes by itself,
 * and destroy it if that takes longer than CLOSING_GRACE_MS (a peer that never reads).
 */
function letGo(socket: net.Socket & { [kGiveUp]?: NodeJS.Timeout }): void {
  if (socket.destroyed) return;
  // end() on an ended stream builds an Error (with its stack) only to drop it: checked first.
  if (!socket.writableEnded) socket.end();
  socket.resume();
  if (socket[kGiveUp]) return;
  const timer = setTimeout(destroySocket.bind(socket), CLOSING_GRACE_MS);
  timer.unref();
  socket[kGiveUp] = timer;
  socket.once('close', clearOnClose);
}

// The listeners, shared by every connection. Each forwards the bytes itself (no pipe()) and
// follows the frame boundaries, with backpressure by pause/resume.
function onBackendData(this: Tagged, chunk: Buffer): void {
  const c = this[kConn]!;
  c.downstream.push(chunk);
  c.moved = true;
  c.answered = true;
  if (!c.client.write(chunk)) this.pause();
}
function onClientData(this: Tagged, chunk: Buffer): void {
  const c = this[kConn]!;
  c.upstream.push(chunk);
  c.moved = true;
  if (!c.backend.write(chunk)) this.pause();
}
function onClientDrain(this: Tagged): void {
  const c = this[kConn]!;
  if (!c.closing) c.backend.resume();
}
function onBackendDrain(this: Tagged): void {
  const c = this[kConn]!;
  if (!c.closing) c.client.resume();
}
function onBackendEnd(this: Tagged): void {
  const c = this[kConn]!;
  if (!c.closing) c.backendGone();
}
function onClientEnd(this: Tagged): void {
  const backend = this[kConn]!.backend;
  if (!backend.writableEnded && !backend.destroyed) backend.end();
}
function onBackendClose(this: Tagged): void {
  const c = this[kConn]!;
  if (!c.closing) {
    c.backendGone();
    letGo(c.client);
  }
  c.ended();
}
function onClientClose(this: Tagged): void {
  const c = this[kConn]!;
  if (!c.closing) letGo(c.backend);
  c.ended();
}
// The listeners of a connection with gates (spec.messages or spec.keepalive): the gate forwards
// through its sink and decides; backpressure is read from the destination after the push.
function onBackendDataGated(this: Tagged, chunk: Buffer): void {
  const c = this[kConn]!;
  c.moved = true;
  c.answered = true;
  if (!c.downGate!.push(chunk)) c.downStopped();
  else if (c.client.writableNeedDrain) this.pause();
}
function onClientDataGated(this: Tagged, chunk: Buffer): void {
  const c = this[kConn]!;
  c.moved = true;
  c.clientMoved = true;
  c.pushUp(chunk);
}
function onBackendDrainGated(this: Tagged): void {
  const c = this[kConn]!;
  if (!c.closing && !c.throttled) c.client.resume();
}
function retryThrottled(c: LiveConnection): void {
  c.throttleTimer = undefined;
  if (!c.closing) c.pushUp(undefined);
}

/** Errors are followed by `close`, which does the work. */
function ignoreError(): void {}

export interface LiveConnectionInit {
  id: number;
  routeKey: string;
  endpointId: string;
  client: net.Socket;
  backend: net.Socket;
  requestId?: string;
  /** Who the client is (X-Forwarded-For behind a trusted proxy), for the access log. */
  clientAddress: string;
  /** Called once, when the first of the two sockets closes. */
  onEnded?: (conn: LiveConnection) => void;
  /** The route's spec.messages and spec.keepalive; with neither, frames are only followed. */
  messages?: CompiledMessages;
  keepalive?: CompiledKeepalive;
  messageEvents?: MessageEvents;
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
  /** 1011/1014 once wsgate told the client that the backend's connection died; else 0. */
  lost = 0;
  /** The backend sent bytes after its 101. */
  answered = false;
  /** Set by every chunk either way; the sweep turns it into `lastActive`. */
  moved = false;
  lastActive = this.startedAt;
  /** Deadlines checked by the registry's sweep (0 = none). */
  idleMs = 0;
  lifetimeAt = 0;
  drainAt = 0;
  /** With spec.messages/keepalive: the gates each way (null where a direction needs none). */
  readonly upGate: FrameGate | null = null;
  readonly downGate: FrameGate | null = null;
  private readonly upPolicy: ClientPolicy | null = null;
  private readonly downPolicy: BackendPolicy | null = null;
  private readonly messages: CompiledMessages | undefined;
  private readonly keepalive: CompiledKeepalive | undefined;
  private readonly messageEvents: MessageEvents | undefined;
  /** Throttled by a rate: the client is paused until throttleTimer retries. */
  throttled = false;
  throttleTimer: NodeJS.Timeout | undefined;
  /** Keepalive: the client sent bytes since the last sweep; when it was last heard; ping out since. */
  clientMoved = false;
  private clientHeardAt = this.startedAt;
  private pingSentAt = 0;
  private ping: Buffer | null = null;
  private onEnded: ((conn: LiveConnection) => void) | undefined;

  constructor(init: LiveConnectionInit) {
    this.id = init.id;
    this.routeKey = init.routeKey;
    this.endpointId = init.endpointId;
    this.client = init.client;
    this.backend = init.backend;
    this.requestId = init.requestId;
    this.clientAddress = init.clientAddress;
    this.onEnded = init.onEnded;
    const client = this.client as Tagged;
    const backend = this.backend as Tagged;
    client[kConn] = this;
    backend[kConn] = this;
    this.messages = init.messages;
    this.keepalive = init.keepalive;
    this.messageEvents = init.messageEvents;
    if (init.messages || init.keepalive) {
      const nonce = init.keepalive ? randomBytes(NONCE_LENGTH) : null;
      if (nonce) this.ping = pingFrame(nonce);
      if (nonce || (init.messages && (init.messages.maxBytes || init.messages.rate || init.messages.byteRate))) {
        this.upPolicy = new ClientPolicy(init.messages, nonce);
        this.upGate = new FrameGate(this.upPolicy, (piece) => {
          this.upstream.push(piece);
          this.backend.write(piece);
        });
      }
      if (nonce || init.messages?.maxBytesFromBackend) {
        this.downPolicy = new BackendPolicy(init.messages?.maxBytesFromBackend ?? 0);
        this.downGate = new FrameGate(this.downPolicy, (piece) => {
          this.downstream.push(piece);
          this.client.write(piece);
        });
      }
    }
    backend.on('data', this.downGate ? onBackendDataGated : onBackendData);
    client.on('data', this.upGate ? onClientDataGated : onClientData);
    client.on('drain', onClientDrain);
    backend.on('drain', this.upGate ? onBackendDrainGated : onBackendDrain);
    backend.on('end', onBackendEnd);
    client.on('end', onClientEnd);
    // When one side goes away, the other only gets a FIN; if it is paused (backpressure) it
    // would never read its peer's FIN and its socket (and fd) would stay open forever.
    // wsgate's own close() handles both sides itself.
    backend.on('close', onBackendClose);
    client.on('close', onClientClose);
    backend.on('error', ignoreError);
    client.on('error', ignoreError);
    backend.resume();
    client.resume();
  }

  /** Bytes that came with the handshake (behind the backend's 101): forwarded like any chunk. */
  relayFromBackend(chunk: Buffer): void {
    (this.downGate ? onBackendDataGated : onBackendData).call(this.backend as Tagged, chunk);
  }

  /** Bytes the client sent with its upgrade request. */
  relayFromClient(chunk: Buffer): void {
    (this.upGate ? onClientDataGated : onClientData).call(this.client as Tagged, chunk);
  }

  /** Client bytes through the gate (a chunk, or nothing to retry what a throttle held). */
  pushUp(chunk: Buffer | undefined): void {
    const gate = this.upGate!;
    const policy = this.upPolicy!;
    const passed = gate.push(chunk);
    if (policy.pongs > 0) {
      policy.pongs = 0;
      if (this.pingSentAt !== 0) this.messageEvents?.ping(this, 'pong');
      this.pingSentAt = 0;
    }
    if (!passed) return this.upStopped();
    if (this.throttled) {
      this.throttled = false;
      if (!this.backend.writableNeedDrain) this.client.resume();
    } else if (this.backend.writableNeedDrain) this.client.pause();
  }

  /** The client's gate stopped at a frame: close for a size or a rate (Close), or throttle. */
  private upStopped(): void {
    const policy = this.upPolicy!;
    const kind = policy.stopped!;
    if (this.upGate!.broken) return this.destroyBoth();
    if (kind === 'size' || this.messages?.onRateExceeded === 'Close') {
      this.messageEvents?.limit(this, kind);
      this.close(kind === 'size' ? 'message_size' : kind === 'rate' ? 'message_rate' : 'byte_rate');
      return;
    }
    // Throttle: nothing is read from the client until the bucket has the tokens; TCP
    // backpressure then slows the client down and nothing is lost or reordered.
    if (!this.throttled) this.messageEvents?.limit(this, kind);
    this.throttled = true;
    this.client.pause();
    clearTimeout(this.throttleTimer);
    this.throttleTimer = setTimeout(retryThrottled, policy.waitMs, this);
  }

  /** The backend's gate stopped: its message went over maxBytesFromBackend. */
  downStopped(): void {
    if (this.downGate!.broken) return this.destroyBoth();
    this.messageEvents?.limit(this, 'size');
    this.close('backend_message_size');
  }

  private destroyBoth(): void {
    this.client.destroy();
    this.backend.destroy();
  }

  /** The first socket closed: the connection is over for the registry, metrics and the log. */
  ended(): void {
    const fn = this.onEnded;
    this.onEnded = undefined;
    fn?.(this);
  }

  /**
   * The backend's connection ended (FIN or reset) without wsgate closing it: unless the
   * backend sent its own close frame, the client gets one (1011, or 1014 when the backend sent
   * nothing after its 101) at the frame boundary where the stream stopped. In the middle of a
   * frame there is no safe place for one, and the client sees the connection end (1006).
   */
  backendGone(): void {
    if (this.lost || this.closing) return;
    const client = this.client;
    if (client.writableEnded || client.destroyed) return;
    // The client left first (its FIN came before the backend's): nobody to tell.
    if (client.readableEnded) {
      client.end();
      return;
    }
    if (this.downstream.closeCode === 0 && this.downstream.atBoundary() && client.writable) {
      const never = !this.answered;
      this.lost = never ? BACKEND_NEVER_ANSWERED : BACKEND_LOST;
      // The rest of the client's frames have nowhere to go: read and dropped from here on.
      client.removeListener('data', onClientData);
      client.end(never ? NEVER_ANSWERED_FRAME : LOST_FRAME);
      client.resume();
    } else {
      client.end();
    }
  }

  /** The code the connection ended with, as far as wsgate saw: its own, the backend's, the client's. */
  closeCode(): number {
    if (this.closing) return CLOSE_CODES[this.closing];
    if (this.lost) return this.lost;
    const first = this.firstCloser();
    return first ? first.closeCode : 1006;
  }

  /** Who ended it: wsgate (its reason), the peer whose close frame came first, or neither. */
  closedBy(): CloseReason | 'backend' | 'client' | 'disconnect' {
    if (this.closing) return this.closing;
    if (this.lost) return 'backend';
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

  /** Idle = no bytes either way for `ms` (checked by the registry's sweep). */
  setIdleTimeout(ms: number): void {
    this.idleMs = ms > 0 ? ms : 0;
  }

  setMaxLifetime(ms: number): void {
    this.lifetimeAt = ms > 0 ? this.startedAt + ms : 0;
  }

  isDraining(): boolean {
    return this.drainAt !== 0;
  }

  /** The endpoint left the table: close after `ms` unless it comes back first. */
  startDrain(ms: number, now = Date.now()): void {
    if (this.drainAt || this.closing) return;
    this.drainAt = now + Math.max(1, ms);
  }

  cancelDrain(): void {
    this.drainAt = 0;
  }

  /** The shortest deadline this connection has (ms), for the sweep's resolution; 0 = none. */
  shortestTimeout(): number {
    let t = this.idleMs;
    const life = this.lifetimeAt ? this.lifetimeAt - this.startedAt : 0;
    if (life && (!t || life < t)) t = life;
    const k = this.keepalive;
    const ping = k ? Math.min(k.pingIntervalMs, k.pongTimeoutMs) : 0;
    if (ping && (!t || ping < t)) t = ping;
    return t;
  }

  /** One sweep: closes the connection if one of its deadlines passed. */
  check(now: number): void {
    if (this.closing) return;
    if (this.moved) {
      this.moved = false;
      this.lastActive = now;
    }
    if (this.drainAt && now >= this.drainAt) this.close('drain');
    else if (this.lifetimeAt && now >= this.lifetimeAt) this.close('max_lifetime');
    else if (this.idleMs && now - this.lastActive >= this.idleMs) this.close('idle_timeout');
    else if (this.ping) this.checkKeepalive(now);
  }

  /** Pings a client silent for pingInterval (at the backend stream's next frame boundary). */
  private checkKeepalive(now: number): void {
    if (this.clientMoved) {
      this.clientMoved = false;
      this.clientHeardAt = now;
    }
    const k = this.keepalive!;
    if (this.pingSentAt !== 0) {
      if (now - this.pingSentAt < k.pongTimeoutMs) return;
      this.messageEvents?.ping(this, 'timeout');
      this.messageEvents?.limit(this, 'pong');
      this.close('pong_timeout');
    } else if (now - this.clientHeardAt >= k.pingIntervalMs) {
      this.pingSentAt = now;
      this.downGate!.inject(this.ping!);
    }
  }

  /** Both sockets are gone: no deadline applies any more. */
  dispose(): void {
    this.drainAt = 0;
    this.lifetimeAt = 0;
    this.idleMs = 0;
    this.ping = null;
    clearTimeout(this.throttleTimer);
  }

  /**
   * Ends the connection with a close frame to the client at the next frame boundary of the
   * backend's stream, then closes the backend side. Idempotent.
   */
  close(reason: CloseReason): void {
    if (this.closing || this.lost || this.client.destroyed) return;
    this.closing = reason;
    this.dispose();
    const { client, backend, downstream, upstream } = this;
    // From here on nothing is forwarded as is: the rest of the backend's frame, then the close.
    backend.removeListener('data', onBackendData);
    backend.removeListener('data', onBackendDataGated);
    backend.removeListener('end', onBackendEnd);
    client.removeListener('data', onClientData);
    client.removeListener('data', onClientDataGated);
    client.removeListener('end', onClientEnd);
    backend.pause();
    // The client's answer (its close frame) is read and dropped; it must not reach the backend.
    client.resume();
    const giveUp = setTimeout(() => {
      client.destroy();
      backend.destroy();
    }, CLOSING_GRACE_MS);
    giveUp.unref();
    client.once('close', () => clearTimeout(giveUp));

    const toBackend = BACKEND_CLOSE[reason];
    const finish = () => {
      backend.removeListener('data', forwardRest);
      // With a close frame for the backend, its connection ends after that frame (below); until
      // then what it still sends is read and dropped.
      if (toBackend) backend.resume();
      else backend.destroy();
      client.end(closeFrame(CLOSE_CODES[reason], CLOSE_TEXT[reason]));
    };
    if (toBackend) {
      // The client's frame under way is forwarded to its last byte, then the masked close.
      const endBackend = () => {
        client.removeListener('data', forwardUp);
        backend.end(maskedCloseFrame(toBackend.code, toBackend.text));
        letGo(backend);
      };
      const forwardUp = (chunk: Buffer) => {
        const n = upstream.consumeUntilBoundary(chunk);
        if (n < 0) return this.destroyBoth();
        if (n > 0) backend.write(chunk.subarray(0, n));
        if (upstream.atBoundary()) endBackend();
      };
      if (upstream.atBoundary()) endBackend();
      else client.on('data', forwardUp);
    }
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
