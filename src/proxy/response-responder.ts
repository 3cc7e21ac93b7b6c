// The client end of a plain request: Node's ServerResponse on an HTTP/1.1 keep-alive
// connection (ResponseResponder), or its HTTP/2 compatibility response over a stream
// (H2ResponseResponder, h2-responder.ts). What both do alike is here (PlainResponder); the
// transports differ in when the client is gone, how a response is cut, and which refusal
// fields they may send.

import type http from 'node:http';
import type { Protocol, RequestResponder } from '../pipeline/responder.js';
import { isRefused } from './refused-sockets.js';

export abstract class PlainResponder implements RequestResponder {
  abstract readonly protocol: Protocol;

  constructor(
    protected readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
  ) {}

  abstract get gone(): boolean;

  /** Ends the response without an answer so that the client sees it cut. */
  abstract close(): void;

  /** A refusal's fields as this transport may send them (HTTP/1.1: as they are). */
  protected fields(headers: Record<string, string>): Record<string, string> {
    return headers;
  }

  refuse(status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
    this.res.writeHead(status, this.fields({ 'Content-Type': 'text/plain; charset=utf-8', ...headers })).end(message + '\n');
  }

  onClose(fn: () => void): void {
    if (this.res.closed) fn();
    else this.res.once('close', fn);
  }
}

export class ResponseResponder extends PlainResponder {
  readonly protocol = 'http/1.1';

  /** The client went away, or the parser refused what followed the head (a malformed body in the same bytes). */
  get gone(): boolean {
    return this.res.destroyed || this.req.socket.destroyed || isRefused(this.req.socket);
  }

  close(): void {
    this.res.destroy();
  }
}
