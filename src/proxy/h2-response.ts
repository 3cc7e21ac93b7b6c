// A plain response whichever the protocol: an http.ServerResponse, or Node's HTTP/2
// compatibility response over a stream. They differ where the stream's end is concerned: an
// h2 response whose stream the client reset still says writableFinished, and destroying it
// sends RST_STREAM NO_ERROR, which a client may take for a complete response.

import type http from 'node:http';
import http2 from 'node:http2';
import { resetStream } from './h2-reset.js';

/** The HTTP/2 stream behind `res`, when it is an HTTP/2 response. */
export function streamOf(res: http.ServerResponse): http2.ServerHttp2Stream | undefined {
  return (res as unknown as { stream?: http2.ServerHttp2Stream }).stream;
}

/** The client has the whole response (false when it left or the response was cut). */
export function responseComplete(res: http.ServerResponse): boolean {
  const stream = streamOf(res);
  if (!stream) return res.writableFinished;
  return stream.writableEnded && (stream.rstCode === undefined || stream.rstCode === http2.constants.NGHTTP2_NO_ERROR);
}

/**
 * Ends a response whose body cannot be completed so that the client sees it: an HTTP/1.1
 * connection is closed; an HTTP/2 stream is reset with INTERNAL_ERROR (h2-reset.ts: never
 * END_STREAM after the partial body).
 */
export function abortResponse(res: http.ServerResponse): void {
  const stream = streamOf(res);
  if (stream) resetStream(stream);
  else res.destroy();
}

/** The client can no longer receive this response (its connection, or its h2 stream, is gone). */
export function clientGone(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const stream = streamOf(res);
  if (stream) return stream.closed || stream.destroyed;
  return res.destroyed || req.socket.destroyed;
}
