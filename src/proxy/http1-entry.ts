// The HTTP/1.1 entry points: Node's 'upgrade' and 'request' events of a server, each turned
// into a RequestContext and a responder for the stage runner. What belongs to HTTP/1.1 alone
// stays here: answers in request order on a connection (responses-in-flight.ts), no chunked
// answers to HTTP/1.0, what is counted of the socket for the access log, the parser's errors.

import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { RequestContext } from '../pipeline/context.js';
import type { StageRunner } from '../pipeline/runner.js';
import type { ProxyObserver } from './observer.js';
import { isRefused, markRefused } from './refused-sockets.js';
import { respondAndClose } from './respond.js';
import { ResponseResponder } from './response-responder.js';
import { owe, owedOn, settled } from './responses-in-flight.js';
import { SocketResponder } from './socket-responder.js';
import { arrivalOf } from './tls-arrival.js';
import { observeRequest } from './stages/observe.js';

export class Http1Entry {
  /** One listener for every client socket (a closure per upgrade would keep its request alive). */
  private readonly onClientSocketError: (err: Error) => void;

  constructor(
    private readonly runner: StageRunner,
    private readonly observer: ProxyObserver,
    private readonly log: Logger,
  ) {
    this.onClientSocketError = (err: Error) => this.log.debug({ err }, 'client socket error');
  }

  /** Serves `server`'s upgrades and requests, looked up among the routes of `listener`. */
  attach(server: http.Server, listener: string): void {
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.onRequest(req, res, listener).catch((err: unknown) => {
        this.log.error({ err }, 'request handler failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('internal error\n');
        else res.destroy();
      });
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(req, socket, head, listener).catch((err: unknown) => {
        this.log.error({ err }, 'upgrade handler failed');
        respondAndClose(socket, 500, 'internal error');
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, listener: string): Promise<void> {
    socket.on('error', this.onClientSocketError);
    // Pipelined behind plain requests: their responses go first (responses-in-flight.ts).
    const earlier = owedOn(req.socket);
    if (earlier > 0) {
      this.log.debug({ client: req.socket.remoteAddress, earlier }, 'upgrade waits for the responses before it on its connection');
      await settled(req.socket);
      // The last of them may have closed the connection (Connection: close, an error).
      if (socket.destroyed || !socket.writable) {
        socket.destroy();
        return;
      }
      // Node armed its keep-alive timeout when the last of them finished; the tunnel has its own timers.
      (socket as net.Socket).setTimeout(0);
    }
    const ctx = new RequestContext('upgrade', req, req.socket.remoteAddress ?? '', listener, 'http/1.1');
    ctx.tls = arrivalOf(req.socket);
    await this.runner.run(ctx, new SocketResponder(socket, head));
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse, listener: string): Promise<void> {
    // A request the parser read after one refused for its framing, from the same bytes: what
    // it is depends on how that framing was read, so it is not served: the refusal's
    // `Connection: close` ends the connection once the refusal is written.
    if (isRefused(req.socket)) return;
    // Synchronously, before any await: an upgrade pipelined behind this request waits for it.
    owe(req.socket, res);
    // Node chunks responses to an HTTP/1.0 request that says "TE: chunked"; RFC 9112 6.1 forbids
    // Transfer-Encoding in a response to HTTP/1.0, which reads a body without length to the close.
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) res.useChunkedEncodingByDefault = false;
    const ctx = new RequestContext('http', req, req.socket.remoteAddress ?? '', listener, 'http/1.1');
    ctx.tls = arrivalOf(req.socket);
    const bytesInAtStart = req.socket.bytesRead;
    const bytesOutAtStart = req.socket.bytesWritten;
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 499;
      observeRequest(this.observer, ctx, status, req.socket.bytesRead - bytesInAtStart, req.socket.bytesWritten - bytesOutAtStart);
    });
    await this.runner.run(ctx, new ResponseResponder(req, res));
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    markRefused(socket);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      respondAndClose(socket, 431, 'request header fields too large');
      return;
    }
    respondAndClose(socket, 400, 'malformed HTTP request');
  }
}
