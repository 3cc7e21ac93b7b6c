// The client end of an RFC 8441 WebSocket: its HTTP/2 stream, as the stage runner's
// UpgradeResponder (pipeline/responder.ts). Refusals as `:status` + headers + a text body with END_STREAM; the
// backend's 101 as `:status 200` carrying its Sec-WebSocket-Protocol/-Extensions and the
// respond stage's fields (Set-Cookie of session affinity, an HTTPRoute's response header
// modifiers), after which the stream itself carries the frames; any other backend answer as
// its status, fields and body.

import type http2 from 'node:http2';
import type net from 'node:net';
import type { UpgradeResponder } from '../../pipeline/responder.js';
import { resetStream } from '../h2-reset.js';
import { releaseOnClose } from '../release-on-close.js';
import { bodyFraming, ResponseRelay } from '../response-relay.js';
import { h2ResponseHeaders } from './response-headers.js';

/** How long a refused stream may take to be read before it is reset (a client that never reads). */
const REFUSAL_GRACE_MS = 5000;

/** Refusal headers HTTP/2 forbids (wsgate's HTTP/1.1 refusals send `Connection: close`). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

function resetIfUnread(stream: http2.ServerHttp2Stream): void {
  const timer = setTimeout(() => resetStream(stream), REFUSAL_GRACE_MS);
  timer.unref();
  stream.once('close', () => clearTimeout(timer));
}

/** No bytes come behind an extended CONNECT's HEADERS that belong to the request. */
const NO_HEAD = Buffer.alloc(0);

export class StreamResponder implements UpgradeResponder {
  readonly protocol = 'h2';
  readonly head = NO_HEAD;

  constructor(
    readonly client: http2.ServerHttp2Stream,
    /** The stream's request fields as received (pseudo-headers included): the h2 handshake stage checks them. */
    readonly requestHeaders: http2.IncomingHttpHeaders,
  ) {}

  get gone(): boolean {
    return this.client.destroyed;
  }

  close(): void {
    resetStream(this.client);
  }

  onClose(fn: () => void): void {
    releaseOnClose(this.client, fn);
  }

  /** Headers can go out: the stream is open and nothing was answered on it yet. */
  private answerable(): boolean {
    const stream = this.client;
    if (stream.destroyed || stream.closed || stream.headersSent) {
      resetStream(stream);
      return false;
    }
    return true;
  }

  refuse(status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
    if (!this.answerable()) return;
    const stream = this.client;
    const body = message + '\n';
    const out: http2.OutgoingHttpHeaders = { ':status': status, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) };
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!CONNECTION_SPECIFIC.has(lower)) out[lower] = value;
    }
    stream.respond(out);
    stream.end(body);
    resetIfUnread(stream);
  }

  /**
   * Interim answers (100, 103) are not relayed: an extended CONNECT has no body to continue,
   * and the final answer follows at once.
   */
  interim(): void {}

  accept(head: Buffer | string): void {
    if (!this.answerable()) return;
    this.client.respond(h2ResponseHeaders(typeof head === 'string' ? head : head.toString('latin1'), 200));
  }

  relayRejection(backend: net.Socket, buf: Buffer, headEnd: number, status: number): void {
    if (!this.answerable()) {
      backend.destroy();
      return;
    }
    const stream = this.client;
    const head = buf.toString('latin1', 0, headEnd);
    const framing = bodyFraming(head, status);
    stream.respond(h2ResponseHeaders(head, status, framing.kind === 'length'));
    // A chunked body goes as DATA without its chunk framing (HTTP/2 has no chunked coding).
    new ResponseRelay(stream, backend, buf, headEnd, status, true);
  }
}
