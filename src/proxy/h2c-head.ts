// The heads of a plain request forwarded to an h2c backend and of its answer (RFC 9113 8.2.2,
// 8.3). Pure: headers in, headers out. The request's framing is wsgate's (request-framing.ts):
// Content-Length when the client's body had one, else the DATA frames up to END_STREAM; no
// connection-specific field of the client's reaches the backend, and none of the backend's
// (nor a pseudo-header) reaches the client, whichever HTTP version it speaks.

import type http from 'node:http';
import type http2 from 'node:http2';
import { dropConnectionHeaders } from './h2-request-head.js';
import type { BodyFraming } from './request-framing.js';

/** What the request head is built from: the request after the stages (rewrite, headers) ran. */
export interface H2cRequestInput {
  readonly method: string;
  /** The request target, already rewritten: forwarded as `:path` byte for byte. */
  readonly path: string;
  /** The client's request fields (an HTTP/2 client's include its pseudo-headers: they are rebuilt). */
  readonly headers: http.IncomingHttpHeaders;
  readonly framing: BodyFraming;
}

export function h2cRequestHeaders(input: H2cRequestInput): http2.OutgoingHttpHeaders {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input.headers)) if (!name.startsWith(':') && value !== undefined) fields[name] = value;
  const host = fields.host ?? input.headers[':authority'];
  const te = fields.te;
  dropConnectionHeaders(fields);
  delete fields.host;
  delete fields['content-length'];
  // The one `te` HTTP/2 allows (gRPC backends require it).
  if (te === 'trailers') fields.te = 'trailers';
  if (input.framing.kind === 'length') fields['content-length'] = String(input.framing.length);
  return {
    ...(fields as http2.OutgoingHttpHeaders),
    ':method': input.method,
    ':scheme': 'http',
    ':path': input.path,
    ...(typeof host === 'string' ? { ':authority': host } : {}),
  };
}

/** The backend's response head as the client gets it: status, then fields without pseudo-headers or connection-specific ones. */
export function h2cResponseHead(headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): { statusCode: number; headers: http.IncomingHttpHeaders } {
  const fields = h2cTrailers(headers);
  return { statusCode: Number(headers[':status'] ?? 502), headers: fields };
}

/** Trailer fields (or a head's fields) without pseudo-headers or connection-specific ones. */
export function h2cTrailers(headers: http2.IncomingHttpHeaders): http.IncomingHttpHeaders {
  const fields: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) fields[name] = value;
  dropConnectionHeaders(fields);
  return fields;
}
