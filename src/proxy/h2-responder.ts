// The client end of a plain request on an HTTP/2 stream: Node's compatibility response, which
// the backend exchange streams into as into an http.ServerResponse. What differs from HTTP/1.1:
// no connection-specific field may be written (a refusal's `Connection: close` or a 426's
// `Upgrade` are the transport's to drop), and a response that cannot be completed resets the
// stream instead of closing a connection.

import type http2 from 'node:http2';
import { dropConnectionHeaders } from './h2-request-head.js';
import { resetStream } from './h2-reset.js';
import { abortResponse, clientGone } from './h2-response.js';
import { PlainResponder } from './response-responder.js';

export class H2ResponseResponder extends PlainResponder {
  readonly protocol = 'h2';

  get gone(): boolean {
    return clientGone(this.req, this.res);
  }

  /** A response that cannot be completed: the stream is reset (h2-reset.ts), never ended. */
  close(): void {
    abortResponse(this.res);
  }

  protected override fields(headers: Record<string, string>): Record<string, string> {
    return h2Fields(headers);
  }
}

/** `headers` as an HTTP/2 response may carry them: lowercase names, no connection-specific field. */
export function h2Fields(headers: Readonly<Record<string, string>>): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  dropConnectionHeaders(lower);
  return lower;
}

/** A complete answer on an HTTP/2 stream that will not be proxied (a plain-text reason). */
export function answerStream(stream: http2.ServerHttp2Stream, status: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    resetStream(stream);
    return;
  }
  stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' });
  stream.end(message + '\n');
}
