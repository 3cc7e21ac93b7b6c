// One established WebSocket connection and the ways wsgate may end it. Closing is done like a
// WebSocket server would: finish the frame the backend is sending, then a close frame with a
// code, then FIN; never a reset in the middle of a frame.
//
// Memory: a connection is this object, its two sockets and two FrameTrackers (a few integers
// each). Nothing of the handshake (request, response, head buffers) is kept, the socket
// listeners are module-level functions shared by every connection (each socket points back
// to its connection through one symbol property), and no connection has a timer of its own:
// the registry's one sweep checks idle, lifetime and drain deadlines. A route with
// spec.messages or spec.keepalive adds one MessageGates object (message-gates.ts) and its own
// listeners; without them `gates` is null and the listeners are the plain ones.

import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Protocol } from '../pipeline/responder.js';
import type { CompiledKeepalive, CompiledMessages } from '../routing/types.js';
import { closeFrame, FrameTracker, maskedCloseFrame } from './frame-tracker.js';
import { abortClient, cutClient } from './h2-reset.js';
import { MessageGates, type MessageCloseReason, type MessageEvents } from './message-gates.js';

export type { MessageEvents } from './message-gates.js';

export type CloseReason = 'drain' | 'shutdown' | 'idle_timeout' | 'max_lifetime' | 'rebalance' | 'overload' | MessageCloseReason;

export const CLOSE_CODES: Record<CloseReason, number> = {
  drain: 1001, // Going Away: the endpoint left
  shutdown: 1001, // Going Away: wsgate is stopping
  idle_timeout: 1001, // Going Away: nothing moved for timeouts.idle
  max_lifetime: 1012, // Service Restart: reconnect, the session reached timeouts.maxLifetime
  rebalance: 1012, // Service Restart: reconnect to land on a less loaded endpoint
  overload: 1013, // Try Again Later: the memory overload manager sheds the newest connections
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
  overload: 'proxy overloaded, try again later',
  message_size: 'message over messages.maxBytes',
  backend_message_size: 'backend message over messages.maxBytesFromBackend',
  message_rate: 'over messages.rate',
  byte_rate: 'over messages.byteRate',
  pong_timeout: 'no pong within keepalive.pongTimeout',
};

/**
 * The close frame the backend gets (masked, as from a client) when wsgate closes for a message
 * limit: a clean close at a frame boundary of the client's stream. Other reasons end the
 * backend's connection without one, as before.
 */
const BACKEND_CLOSE: Partial<Record<CloseReason, { code: number; text: string }>> = {
  message_size: { code: 1001, text: 'client closed: message over messages.maxBytes' },
  backend_message_size: { code: 1009, text: 'message over messages.maxBytesFromBackend' },
  message_rate: { code: 1001, text: 'client closed: over messages.rate' },
  byte_rate: { code: 1001, text: 'client closed: over messages.byteRate' },
  pong_timeout: { code: 1001, text: 'client closed: no pong within keepalive.pongTimeout' },
};

/** The backend's connection died after frames had flowed: 1011 Internal Error. */
export const BACKEND_LOST = 1011;
/** The backend's connection died before it sent a single frame after its 101: 1014 Bad Gateway. */
export const BACKEND_NEVER_ANSWERED = 1014;
const LOST_FRAME = closeFrame(BACKEND_LOST, 'backend connection lost');
const NEVER_ANSWERED_FRAME = closeFrame(BACKEND_NEVER_ANSWERED, 'backend went away before answering');

/** How long a closing connection may take to finish its frame and hear the client's reply. */
const CLOSING_GRACE_MS = 5000;

const kConn = Symbol('wsgate.connection');
type Tagged = Duplex & { [kConn]?: LiveConnection };

function destroySocket(this: Duplex): void {
  this.destroy();
}
function clearOnClose(this: Duplex & { [kGiveUp]?: NodeJS.Timeout }): void {
  clearTimeout(this[kGiveUp]);
}
const kGiveUp = Symbol('wsgate.giveUp');

/**
 * The other side of a connection whose peer is gone: finish sending what it has (FIN after
 * it), read and drop whatever still arrives so its own FIN is seen and it closes by itself,
 * and destroy it if that takes longer than CLOSING_GRACE_MS (a peer that never reads).
 */
function letGo(socket: Duplex & { [kGiveUp]?: NodeJS.Timeout }): void {
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
// The listeners of a connection with gates: the gate forwards and decides, and reads
// backpressure from the destination after the push.
function onBackendDataGated(this: Tagged, chunk: Buffer): void {
  const c = this[kConn]!;
  c.moved = true;
  c.answered = true;
  c.gates!.pushDown(chunk);
}
function onClientDataGated(this: Tagged, chunk: Buffer): void {
  const c = this[kConn]!;
  c.moved = true;
  c.gates!.clientMoved = true;
  c.gates!.pushUp(chunk);
}
function onBackendDrainGated(this: Tagged): void {
  const c = this[kConn]!;
  if (!c.closing && !c.gates!.throttled) c.client.resume();
}

/** Errors are followed by `close`, which does the work. */
function ignoreError(): void {}

/**
 * Forwards what `from` sends to `to` up to the end of the frame under way (`frames` reads
 * `from`'s stream), then stops forwarding and calls `atBoundary`: at once when no frame is under
 * way. A stream that is no longer WebSocket framing has no safe place for a close frame: both
 * sockets are destroyed. True when it waits for data (the caller resumes `from` if paused).
 */
function forwardToBoundary(from: Duplex, to: Duplex, frames: FrameTracker, atBoundary: () => void): boolean {
  if (frames.atBoundary()) {
    atBoundary();
    return false;
  }
  const forward = (chunk: Buffer) => {
    const n = frames.consumeUntilBoundary(chunk);
    if (n < 0) {
      // Either may be the client's HTTP/2 stream: reset, never ended cleanly.
      abortClient(from);
      abortClient(to);
      return;
    }
    if (n > 0) to.write(chunk.subarray(0, n));
    if (frames.atBoundary()) {
      from.removeListener('data', forward);
      atBoundary();
    }
  };
  from.on('data', forward);
  return true;
}

export interface LiveConnectionInit {
  id: number;
  routeKey: string;
  endpointId: string;
  /** The client's side: its socket (HTTP/1.1 Upgrade) or its HTTP/2 stream (RFC 8441). */
  client: Duplex;
  backend: net.Socket;
  requestId?: string;
  /** Who the client is (X-Forwarded-For behind a trusted proxy), for the access log. */
  clientAddress: string;
  /** The subject of the client certificate the TLS handshake verified, for the access log; absent: none. */
  clientCert?: string;
  /** What the client spoke to wsgate (the upgrade's RequestContext), for the access log. */
  protocol: Protocol;
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
  readonly client: Duplex;
  readonly backend: net.Socket;
  readonly requestId: string | undefined;
  readonly clientAddress: string;
  readonly clientCert: string | undefined;
  readonly protocol: Protocol;
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
  /** spec.messages/keepalive state; null on routes with neither. */
  readonly gates: MessageGates | null = null;
  private onEnded: ((conn: LiveConnection) => void) | undefined;

  constructor(init: LiveConnectionInit) {
    this.id = init.id;
    this.routeKey = init.routeKey;
    this.endpointId = init.endpointId;
    this.client = init.client;
    this.backend = init.backend;
    this.requestId = init.requestId;
    this.clientAddress = init.clientAddress;
    this.clientCert = init.clientCert;
    this.protocol = init.protocol;
    this.onEnded = init.onEnded;
    const client = this.client as Tagged;
    const backend = this.backend as Tagged;
    client[kConn] = this;
    backend[kConn] = this;
    if (init.messages || init.keepalive) {
      this.gates = new MessageGates(this, init.messages, init.keepalive, init.messageEvents, this.startedAt);
    }
    const up = this.gates?.up;
    backend.on('data', this.gates?.down ? onBackendDataGated : onBackendData);
    client.on('data', up ? onClientDataGated : onClientData);
    client.on('drain', onClientDrain);
    backend.on('drain', up ? onBackendDrainGated : onBackendDrain);
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
    (this.gates?.down ? onBackendDataGated : onBackendData).call(this.backend as Tagged, chunk);
  }

  /** Bytes the client sent with its upgrade request. */
  relayFromClient(chunk: Buffer): void {
    (this.gates?.up ? onClientDataGated : onClientData).call(this.client as Tagged, chunk);
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
   * frame there is no safe place for one, and the client sees the connection end (1006): FIN
   * on a socket, RST_STREAM INTERNAL_ERROR on an HTTP/2 stream (END_STREAM there would read as
   * a clean end of the frames so far).
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
      client.removeListener('data', onClientDataGated);
      client.end(never ? NEVER_ANSWERED_FRAME : LOST_FRAME);
      client.resume();
    } else if (this.downstream.atBoundary()) {
      // The backend's own close frame went through whole: the end is clean.
      client.end();
    } else {
      cutClient(client);
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
    const ping = this.gates ? this.gates.sweepPeriod() : 0;
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
    else if (this.gates) this.gates.check(now);
  }

  /** Both sockets are gone: no deadline applies any more. */
  dispose(): void {
    this.drainAt = 0;
    this.lifetimeAt = 0;
    this.idleMs = 0;
    this.gates?.dispose();
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
      abortClient(client);
      backend.destroy();
    }, CLOSING_GRACE_MS);
    giveUp.unref();
    client.once('close', () => clearTimeout(giveUp));

    const toBackend = BACKEND_CLOSE[reason];
    const finish = () => {
      // With a close frame for the backend, its connection ends after that frame (below); until
      // then what it still sends is read and dropped.
      if (toBackend) backend.resume();
      else backend.destroy();
      client.end(closeFrame(CLOSE_CODES[reason], CLOSE_TEXT[reason]));
    };
    if (toBackend) {
      // The client's frame under way is forwarded to its last byte, then the masked close.
      const waiting = forwardToBoundary(client, backend, upstream, () => {
        backend.end(maskedCloseFrame(toBackend.code, toBackend.text));
        letGo(backend);
      });
      // A client that leaves in the middle of its frame leaves no boundary for the close
      // frame: the backend's connection just ends (with the usual grace), never lingers.
      if (waiting) client.once('close', () => letGo(backend));
    }
    // A frame already under way is forwarded to its last byte, then the close frame follows.
    if (forwardToBoundary(backend, client, downstream, finish)) backend.resume();
  }
}
