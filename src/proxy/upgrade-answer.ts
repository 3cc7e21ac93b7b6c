// How an upgrade is answered on the transport it came in on. The backend exchange
// (upgrade-exchange.ts, backend-handshake.ts) always speaks HTTP/1.1 to the backend; what the
// client gets depends on how it asked: an HTTP/1.1 Upgrade is answered with bytes on its socket
// (this file), an RFC 8441 extended CONNECT with HEADERS on its HTTP/2 stream
// (h2-websocket/stream-answer.ts). Either way the tunnel then runs on `client`, a Duplex
// carrying WebSocket frames, so the live connection, its frame tracking and gates are the same.

import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { respondAndClose } from './respond.js';
import { ResponseRelay } from './response-relay.js';

export interface UpgradeAnswer {
  /** The byte stream of the client's side: frames flow on it once the upgrade is accepted. */
  readonly client: Duplex;
  /** Refuses the upgrade with a complete response (status, headers, a text body), then ends the client side. */
  refuse(status: number, message: string, headers?: Record<string, string>): void;
  /** An interim (1xx) answer of the backend, head as read (status line to blank line). */
  interim(head: Buffer): void;
  /**
   * The backend's 101 after the respond stage (latin1 head, status line to blank line; its
   * Sec-WebSocket-Accept was checked): the client is told the upgrade succeeded.
   */
  accept(head: Buffer): void;
  /**
   * Any other answer of the backend: `buf` holds its head (to `headEnd`) and the first body
   * bytes; the rest of the body follows on `backend`. Relayed, then the client side ends.
   */
  relay(backend: net.Socket, buf: Buffer, headEnd: number, status: number): void;
}

/** The answer on the client's own socket (an HTTP/1.1 Upgrade): wsgate writes the bytes. */
export class SocketAnswer implements UpgradeAnswer {
  constructor(readonly client: Duplex) {}

  refuse(status: number, message: string, headers?: Record<string, string>): void {
    respondAndClose(this.client, status, message, headers);
  }

  interim(head: Buffer): void {
    this.client.write(head);
  }

  accept(head: Buffer): void {
    this.client.write(head);
  }

  relay(backend: net.Socket, buf: Buffer, headEnd: number, status: number): void {
    this.client.write(buf.subarray(0, headEnd));
    new ResponseRelay(this.client, backend, buf, headEnd, status);
  }
}
