// The entry point of RFC 8441 WebSockets: a stream with `:method CONNECT` and `:protocol
// websocket` from an HTTP/2 session becomes a RequestContext (protocol h2, the stream read as
// the HTTP/1.1 upgrade wsgate sends the backend: request.ts) and a StreamResponder, and runs
// the stages every upgrade runs (pipeline/runner.ts).

import type http2 from 'node:http2';
import type { Logger } from 'pino';
import { RequestContext } from '../../pipeline/context.js';
import type { StageRunner } from '../../pipeline/runner.js';
import { arrivalOf } from '../tls-arrival.js';
import { upgradeRequestOf } from './request.js';
import { StreamResponder } from './stream-responder.js';

export class H2WebSocketEntry {
  /** One listener for every stream (a closure per stream would keep its request alive). */
  private readonly onStreamError: (err: Error) => void;

  constructor(
    private readonly runner: StageRunner,
    private readonly log: Logger,
  ) {
    this.onStreamError = (err: Error) => this.log.debug({ err }, 'WebSocket stream error');
  }

  onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, listener: string): void {
    stream.on('error', this.onStreamError);
    const responder = new StreamResponder(stream, headers);
    const req = upgradeRequestOf(stream, stream.session, headers);
    const ctx = new RequestContext('upgrade', req, req.socket.remoteAddress ?? '', listener, 'h2');
    ctx.tls = arrivalOf(stream.session?.socket);
    this.runner.run(ctx, responder).catch((err: unknown) => {
      this.log.error({ err }, 'WebSocket stream handler failed');
      responder.refuse(500, 'internal error');
    });
  }
}
