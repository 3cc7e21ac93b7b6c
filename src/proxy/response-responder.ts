// The client end of an HTTP/1.1 plain request: Node's ServerResponse on a keep-alive connection.

import type http from 'node:http';
import type { RequestResponder } from '../pipeline/responder.js';
import { isRefused } from './refused-sockets.js';

export class ResponseResponder implements RequestResponder {
  readonly protocol = 'http/1.1';

  constructor(
    private readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
  ) {}

  /** The client went away, or the parser refused what followed the head (a malformed body in the same bytes). */
  get gone(): boolean {
    return this.res.destroyed || this.req.socket.destroyed || isRefused(this.req.socket);
  }

  refuse(status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
    this.res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(message + '\n');
  }

  close(): void {
    this.res.destroy();
  }

  onClose(fn: () => void): void {
    if (this.res.closed) fn();
    else this.res.once('close', fn);
  }
}
