// The relay of a backend's non-101 answer to an upgrade: once the head is answered (by the
// responder of the client's transport), the client gets the body byte for byte, delimited as
// the backend delimits it (an HTTP/2 stream gets a chunked body's data without the chunk
// framing), and then its side ends (an upgrade request that was refused is not followed by
// another request on that connection).

import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { ChunkedEnd } from './chunked-end.js';
import { cutClient } from './h2-reset.js';

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
  this[kRelay]!.backendEnded();
}
function relayIgnoreError(): void {}

/** How a response head (latin1, status line to blank line) delimits its body. */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'until_close' };

export function bodyFraming(headText: string, status: number): BodyFraming {
  if (status === 204 || status === 304) return { kind: 'none' };
  if (/\r\ntransfer-encoding:[^\r\n]*chunked/i.test(headText)) return { kind: 'chunked' };
  const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(headText);
  if (length) return { kind: 'length', length: Number(length[1]) };
  return { kind: 'until_close' };
}

/**
 * Relays the body of a non-101 answer byte for byte, as the backend delimits it
 * (Content-Length, chunked, or until the backend closes), then ends the client side.
 */
export class ResponseRelay {
  /** Body bytes still to come with Content-Length, or CHUNKED, or UNTIL_CLOSE. */
  private left: number;
  private readonly chunked: ChunkedEnd | null = null;
  private over = false;

  constructor(
    private readonly client: Duplex,
    private readonly backend: RelaySocket,
    buf: Buffer,
    headEnd: number,
    status: number,
    /** The client is an HTTP/2 stream: a chunked body goes as its data alone, without the chunk framing. */
    private readonly dechunk = false,
  ) {
    const framing = bodyFraming(buf.toString('latin1', 0, headEnd), status);
    if (framing.kind === 'none') this.left = 0;
    else if (framing.kind === 'chunked') {
      this.left = CHUNKED;
      this.chunked = new ChunkedEnd();
    } else if (framing.kind === 'length') this.left = framing.length;
    else this.left = UNTIL_CLOSE;
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
    else if (this.chunked && this.dechunk) {
      this.chunked.feed(chunk, (data) => this.client.write(data));
      bodyBytes = 0;
    } else if (this.chunked) {
      const end = this.chunked.feed(chunk);
      if (end !== -1) bodyBytes = end;
    }
    if (bodyBytes > 0) this.client.write(bodyBytes === chunk.length ? chunk : chunk.subarray(0, bodyBytes));
    if (this.left >= 0) this.left -= bodyBytes;
    if (this.left === 0 || this.chunked?.done) this.finish();
  }

  /**
   * The backend's side ended (FIN, or closed by an error) before its framing said the body was
   * over: the client's side is cut, not ended (on an HTTP/2 stream, RST_STREAM instead of
   * END_STREAM), unless the body runs until the backend's FIN and that FIN came.
   */
  backendEnded(): void {
    if (this.over) return;
    this.end(this.left === UNTIL_CLOSE && this.backend.readableEnded);
  }

  finish(): void {
    this.end(true);
  }

  private end(whole: boolean): void {
    if (this.over) return;
    this.over = true;
    this.backend.destroy();
    if (whole) this.client.end();
    else cutClient(this.client);
    // A client that never reads must not keep the socket.
    const client = this.client;
    const timer = setTimeout(() => client.destroy(), 5000);
    timer.unref();
    client.once('close', () => clearTimeout(timer));
  }
}
