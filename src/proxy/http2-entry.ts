// The HTTP/2 entry point: each stream of an h2 session (h2-server.ts) becomes a RequestContext
// with protocol h2 and a responder for the stage runner, as http1-entry.ts does for HTTP/1.1.
// An RFC 8441 WebSocket (CONNECT with :protocol websocket) goes to the proxy's
// onWebSocketStream; any other CONNECT is not served (wsgate is no forward proxy); everything
// else is a plain request through Node's compatibility objects, which give the stages what an
// HTTP/1.1 request and response give them. What belongs to HTTP/2 alone stays here: the head's
// checks and wsgate's framing for the backend (h2-request-head.ts), Host from :authority,
// 100-continue, the stream's DATA counts for the access log.

import type http from 'node:http';
import http2 from 'node:http2';
import type { Logger } from 'pino';
import { RequestContext } from '../pipeline/context.js';
import type { StageRunner } from '../pipeline/runner.js';
import { h2RequestHead } from './h2-request-head.js';
import { streamKind } from './h2-server.js';
import { arrivalOf } from './tls-arrival.js';
import { answerStream, H2ResponseResponder } from './h2-responder.js';
import { responseComplete } from './h2-response.js';
import { countStreamBytes } from './h2-stream-bytes.js';
import type { ProxyObserver } from './observer.js';
import { observeRequest } from './stages/observe.js';

export type WebSocketStreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, listener: string) => void;

export class Http2Entry {
  constructor(
    private readonly runner: StageRunner,
    private readonly observer: ProxyObserver,
    private readonly log: Logger,
    private readonly webSocket: WebSocketStreamHandler,
  ) {}

  onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[], listener: string): void {
    if (headers[':method'] === 'CONNECT') {
      if (streamKind(headers) === 'websocket') return this.webSocket(stream, headers, listener);
      return answerStream(stream, 501, 'CONNECT is served only for RFC 8441 WebSockets (:protocol websocket)');
    }
    this.onRequest(stream, headers, rawHeaders, listener).catch((err: unknown) => {
      this.log.error({ err }, 'HTTP/2 request handler failed');
      answerStream(stream, 500, 'internal error');
    });
  }

  private async onRequest(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[], listener: string): Promise<void> {
    const bytes = countStreamBytes(stream);
    const head = h2RequestHead(headers, stream.endAfterHeaders);
    if (head.ok) {
      // The stages and the backend read Host; :authority is not forwarded (http-proxy-3 would
      // put it back over a rewritten Host).
      if (head.host !== undefined) headers.host = head.host;
      delete headers[':authority'];
    }
    const compatReq = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
    const compatRes = new http2.Http2ServerResponse(stream);
    // The compatibility objects carry, for every stage, what IncomingMessage/ServerResponse do.
    const req = compatReq as unknown as http.IncomingMessage;
    const res = compatRes as unknown as http.ServerResponse;
    const ctx = new RequestContext('http', req, req.socket.remoteAddress ?? '', listener, 'h2');
    ctx.tls = arrivalOf(stream.session?.socket);
    res.once('close', () => observeRequest(this.observer, ctx, responseComplete(res) ? res.statusCode : 499, bytes.in, bytes.out));
    const responder = new H2ResponseResponder(req, res);
    if (!head.ok) {
      this.log.info({ client: req.socket.remoteAddress, status: head.status }, `HTTP/2 request refused: ${head.message}`);
      return responder.refuse(head.status, head.message);
    }
    // As Node's HTTP/1.1 server does without a checkContinue listener: wsgate says 100 itself.
    if (headers.expect !== undefined) {
      if (String(headers.expect).toLowerCase() !== '100-continue') return responder.refuse(417, 'only 100-continue is expected');
      compatRes.writeContinue();
    }
    ctx.framing = head.framing;
    await this.runner.run(ctx, responder);
  }
}
