// The relay of a backend's non-101 answer to an upgrade: the client gets the head and the body
// byte for byte, delimited as the backend delimits it, and then its connection ends (an
// upgrade request that was refused is not followed by another request on that connection).

import type net from 'node:net';
import { ChunkedEnd } from './chunked-end.js';

/** `left` for a chunked body: ChunkedEnd finds its end. */
const CHUNKED = -1;
/** `left` for a body with neither length nor chunking: it runs until the backend closes. */
const UNTIL_CLOSE = -2;

const kRelay = Symbol('wsgate.relay');
type RelaySocket = net.Socket & { [kRelay]?: ResponseRelay };
// Shared listeners (no closures per answer).
function relayData(this: RelaySocket, chunk: Buffer): void {
  this[kRelay]!.body(chunk);
}
function relayEnd(this: RelaySocket): void {
  this[kRelay]!.finish();
}
function relayIgnoreError(): void {}

/**
 * Relays a non-101 answer byte for byte: its head, then its body as the backend delimits it
 * (Content-Length, chunked, or until the backend closes), then ends the client connection.
 */
export class ResponseRelay {
  /** Body bytes still to come with Content-Length, or CHUNKED, or UNTIL_CLOSE. */
  private left: number;
  private readonly chunked: ChunkedEnd | null = null;
  private over = false;

  constructor(
    private readonly client: net.Socket,
    private readonly backend: RelaySocket,
    buf: Buffer,
    headEnd: number,
    status: number,
  ) {
    const headText = buf.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(headText);
    const chunked = /\r\ntransfer-encoding:[^\r\n]*chunked/i.test(headText);
    if (status === 204 || status === 304) this.left = 0;
    else if (chunked) {
      this.left = CHUNKED;
      this.chunked = new ChunkedEnd();
    } else if (length) this.left = Number(length[1]);
    else this.left = UNTIL_CLOSE;
    client.write(buf.subarray(0, headEnd));
    backend[kRelay] = this;
    backend.on('data', relayData);
    backend.on('end', relayEnd);
    backend.on('close', relayEnd);
    backend.on('error', relayIgnoreError);
    if (headEnd < buf.length) this.body(buf.subarray(headEnd));
    else if (this.left === 0) this.finish();
  }

  body(chunk: Buffer): void {
    if (this.over) return;
    let bodyBytes = chunk.length;
    if (this.left >= 0) bodyBytes = Math.min(bodyBytes, this.left);
    else if (this.chunked) {
      const end = this.chunked.feed(chunk);
      if (end !== -1) bodyBytes = end;
    }
    if (bodyBytes > 0) this.client.write(bodyBytes === chunk.length ? chunk : chunk.subarray(0, bodyBytes));
    if (this.left >= 0) this.left -= bodyBytes;
    if (this.left === 0 || this.chunked?.done) this.finish();
  }

  finish(): void {
    if (this.over) return;
    this.over = true;
    this.backend.destroy();
    this.client.end();
    // A client that never reads must not keep the socket.
    const client = this.client;
    const timer = setTimeout(() => client.destroy(), 5000);
    timer.unref();
    client.once('close', () => clearTimeout(timer));
  }
}
