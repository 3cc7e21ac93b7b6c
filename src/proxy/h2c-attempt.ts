// One attempt of a plain request to an h2c backend: a stream on the endpoint's session
// (h2c-sessions.ts), the request body streamed into it with HTTP/2 flow control as the
// backpressure, the response streamed back to the client's response (HTTP/1.1 or HTTP/2).
// Aborts go both ways: the exchange destroys the stream when the client leaves (RST_STREAM
// CANCEL to the backend), and a stream the backend resets, before or during its response,
// is reported as failed (the exchange answers 502 or cuts the client's response).

import type http from 'node:http';
import http2 from 'node:http2';
import { h2cRequestHeaders, h2cResponseHead, h2cTrailers } from './h2c-head.js';
import { resetStream } from './h2-reset.js';
import { relayInterim } from './interim-relay.js';
import type { BodyFraming } from './request-framing.js';

/** The backend's answer as the exchange's hooks see it, whichever protocol carried it. */
export interface BackendHead {
  readonly statusCode?: number;
  readonly headers: http.IncomingHttpHeaders;
}

export interface H2cAttemptEvents {
  /** The backend answered; runs before the head is written (the respond stage changes `head.headers` here). */
  response(head: BackendHead): void;
  /** The stream failed or was reset; after `response`, the client's response is incomplete. */
  failed(err: Error): void;
}

export interface H2cAttemptInput {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly framing: BodyFraming;
  /** The body is not forwarded (none, or a retried attempt whose empty body the first consumed). */
  readonly emptyBody: boolean;
}

/** The backend's session ended, or it refused the stream, before any response: `cause` says how. */
export class H2cUnansweredError extends Error {
  readonly code = 'EH2CUNANSWERED';
}

class H2cStreamClosedError extends Error {
  readonly code = 'EH2CSTREAMCLOSED';
}

/**
 * The stream as the exchange's timeouts and aborts use it. Destroying it resets it
 * (h2-reset.ts), never ending a body still going first (the backend would take a truncated
 * body for a complete one): with the timeout's error (INTERNAL_ERROR, the error reaching the
 * attempt's listener), or without one when the client left (CANCEL once the request was sent
 * whole; Node's plain destroy() would send NO_ERROR, which says nothing was lost).
 */
export function cancellable(stream: http2.ClientHttp2Stream): { readonly destroyed: boolean; destroy(err?: Error): unknown; setTimeout(ms: number, cb: () => void): unknown } {
  return {
    get destroyed() {
      return stream.destroyed;
    },
    destroy: (err?: Error) => resetStream(stream, err),
    setTimeout: (ms: number, cb: () => void) => stream.setTimeout(ms, cb),
  };
}

export function sendOverH2c(session: http2.ClientHttp2Session, input: H2cAttemptInput, events: H2cAttemptEvents): http2.ClientHttp2Stream {
  const { req, res } = input;
  const headers = h2cRequestHeaders({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, framing: input.framing });
  const stream = session.request(headers, { endStream: input.emptyBody });
  let failed = false;
  let answered = false;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    // A session that failed (refused, connect timeout) cancels its pending streams; the cause is
    // the socket's error, which decides retry and ejection.
    const cause = (err as { cause?: unknown }).cause;
    const reason = (err as NodeJS.ErrnoException).code === 'ERR_HTTP2_STREAM_CANCEL' && cause instanceof Error ? cause : err;
    // No answer, and the backend's session went away under the stream (a reset, GOAWAY) or the
    // backend refused the stream: the exchange may retry it as a refused connect.
    const unanswered = !answered && (session.destroyed || session.closed || stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM);
    events.failed(unanswered ? new H2cUnansweredError(`h2c backend gone before answering: ${reason.message}`, { cause: reason }) : reason);
  };
  stream.on('error', fail);
  stream.once('close', () => {
    // Node ends the readable side of a stream the backend reset, so the client's response is
    // ended here, only when the stream closed cleanly after the response.
    if (answered && stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) {
      if (!res.writableEnded && !res.destroyed) res.end();
      return;
    }
    fail(new H2cStreamClosedError(`h2c stream closed (code ${stream.rstCode}) ${answered ? 'mid-response' : 'without a response'}`));
  });
  // 1xx heads (103 Early Hints) come before the response, as 'headers'.
  stream.on('headers', (h2Headers) => relayInterim(res, Number(h2Headers[':status']), h2Headers));
  stream.once('response', (h2Headers) => {
    answered = true;
    const head = h2cResponseHead(h2Headers);
    events.response(head);
    if (res.headersSent || res.destroyed) {
      resetStream(stream);
      return;
    }
    res.writeHead(head.statusCode, head.headers);
    // An event stream's head goes out before its first event (as http-exchange.ts does).
    res.flushHeaders();
    stream.once('trailers', (trailers) => res.addTrailers(h2cTrailers(trailers) as http.OutgoingHttpHeaders));
    stream.pipe(res, { end: false });
  });
  if (!input.emptyBody) req.pipe(stream);
  return stream;
}
