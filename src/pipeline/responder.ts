// The client end of one request, per transport: what the stages answer through. The runner
// and the stages never write to a socket themselves; they refuse, accept or close through a
// Responder, so the same stages serve an HTTP/1.1 upgrade (the raw client socket), an
// HTTP/1.1 plain request (http.ServerResponse) and an HTTP/2 stream (a third implementation:
// `:status` plus headers instead of a status line, END_STREAM instead of a socket close).

import type { ServerResponse } from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

/** The protocol the client speaks to wsgate (labels the metrics and the access log). */
export type Protocol = 'http/1.1' | 'h2';

export interface Responder {
  readonly protocol: Protocol;
  /**
   * Answers with wsgate's own complete response: `status`, `headers` (beside a text/plain
   * Content-Type) and `message` plus a newline as the body. HTTP/1.1 upgrade: the socket closes
   * once it is flushed; plain request: the connection stays unless headers say `Connection:
   * close`; h2: the stream ends (a `Connection` header is the transport's to drop).
   */
  refuse(status: number, message: string, headers?: Readonly<Record<string, string>>): void;
  /** Ends the client end without an answer (nothing more can or may be written). */
  close(): void;
  /** Runs `fn` once the client end closes, at once when it is closed already (releases counts). */
  onClose(fn: () => void): void;
  /** The client end is gone, or its transport refused what followed the request head. */
  readonly gone: boolean;
}

/** The client end of a WebSocket upgrade (HTTP/1.1 Upgrade, or an RFC 8441 extended CONNECT). */
export interface UpgradeResponder extends Responder {
  /** What the tunnel relays on once the upgrade is accepted: the socket, or the h2 stream. */
  readonly client: Duplex;
  /** Client bytes that arrived behind the request head (HTTP/1.1 only; empty on h2). */
  readonly head: Buffer;
  /** A backend's interim answer (100, 103), its head from status line to blank line. */
  interim(head: Buffer): void;
  /**
   * The upgrade succeeded: answers with the backend's 101 head after the respond stage's
   * changes (latin1 text or bytes, status line to blank line). HTTP/1.1 writes it as is; an h2
   * stream answers `:status 200` with its headers, less the connection-specific ones.
   */
  accept(head: Buffer | string): void;
  /**
   * Relays a backend's answer other than 101 (head in `buf` up to `headEnd`, the body as it
   * follows on `backend`), then ends the client end.
   */
  relayRejection(backend: net.Socket, buf: Buffer, headEnd: number, status: number): void;
}

/** The client end of a plain request. */
export interface RequestResponder extends Responder {
  /** The response the backend exchange streams into (http-proxy-3's web()). */
  readonly res: ServerResponse;
}
