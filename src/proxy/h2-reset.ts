// The one way wsgate aborts an HTTP/2 stream (a response it cannot complete, a backend stream
// it gives up on). Node's `stream.close(code)` is not it: it first ends the writable side, and
// with the body still open nghttp2 sends END_STREAM (a truncated body reads as complete) and,
// the stream then being closed both ways, often no RST_STREAM at all. Destroying the stream
// with an error skips that end: the DATA already handed to nghttp2 goes out without
// END_STREAM, then RST_STREAM INTERNAL_ERROR. CANCEL is not used while a body is under way:
// Node defers a CANCEL reset submitted inside an nghttp2 callback, and the stream's data
// source reports its end meanwhile (END_STREAM first, measured). Measured in
// test/proxy/h2-abort-wire.test.ts.

import http2 from 'node:http2';
import type { Duplex } from 'node:stream';

class StreamAbortedError extends Error {
  readonly code = 'ESTREAMABORTED';
}

/** The stream's own listeners decide about the error; without one, destroy(err) would throw it. */
function ignoreError(): void {}

/**
 * Resets `stream`, never with END_STREAM first: INTERNAL_ERROR, with `err` (or an abort error)
 * for the stream's 'error' listeners. Only a stream whose own body had ended already, reset
 * without an error (nobody wants its answer any more), gets CANCEL: nothing of wsgate's is cut
 * there. A closed stream (reset already, or ended both ways) is left as it is.
 */
export function resetStream(stream: http2.Http2Stream, err?: Error): void {
  if (stream.destroyed || stream.closed) return;
  if (!err && stream.writableEnded) {
    stream.close(http2.constants.NGHTTP2_CANCEL);
    return;
  }
  stream.once('error', ignoreError);
  stream.destroy(err ?? new StreamAbortedError('stream aborted'));
}

/** An HTTP/2 stream (a live connection's or a relay's client side may be one, or a socket). */
export function isHttp2Stream(d: Duplex): d is http2.Http2Stream {
  return 'rstCode' in d && 'session' in d;
}

/**
 * Ends a client side whose bytes stop short (a body cut before its end, a WebSocket frame cut
 * in its middle) so that the client sees it: an HTTP/2 stream is reset (INTERNAL_ERROR); a
 * socket gets FIN after what was written, the connection's end being the sign there.
 */
export function cutClient(client: Duplex): void {
  if (isHttp2Stream(client)) resetStream(client);
  else if (!client.writableEnded && !client.destroyed) client.end();
}

/** Ends a client side at once, nothing more to flush: an HTTP/2 stream is reset (INTERNAL_ERROR), a socket destroyed. */
export function abortClient(client: Duplex): void {
  if (isHttp2Stream(client)) resetStream(client);
  else client.destroy();
}
