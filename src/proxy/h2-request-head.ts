// An HTTP/2 request head as wsgate forwards it to an HTTP/1.1 backend (RFC 9113 8.2.2, 8.3.1).
// Pure: headers in, a decision out. nghttp2 already resets a stream whose head breaks the
// HTTP/2 rules (connection-specific fields, `te` other than trailers, uppercase names, CR/LF/NUL
// in values, pseudo-header misuse, a Content-Length the DATA disagrees with); this is the second
// check, so a change below wsgate cannot make it forward what the backend would read another way.
// The body framing of the HTTP/1.1 request is wsgate's: Content-Length when the client gave one
// (nghttp2 holds the DATA to it), none when the HEADERS frame ended the stream, else chunked.

import type http2 from 'node:http2';
import type { BodyFraming } from './request-framing.js';

export type H2HeadVerdict = { readonly ok: true; readonly framing: BodyFraming; readonly host: string | undefined } | { readonly ok: false; readonly status: 400; readonly message: string };

/** Fields that mean something only to one HTTP/1.1 connection (RFC 9113 8.2.2). */
const CONNECTION_SPECIFIC = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];
const DIGITS = /^[0-9]+$/;
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

function refuse(message: string): H2HeadVerdict {
  return { ok: false, status: 400, message };
}

/** `endStream`: the HEADERS frame carried END_STREAM (no body follows). */
export function h2RequestHead(headers: http2.IncomingHttpHeaders, endStream: boolean): H2HeadVerdict {
  for (const name of CONNECTION_SPECIFIC) if (headers[name] !== undefined) return refuse(`connection-specific header ${name} in an HTTP/2 request`);
  const te = headers.te;
  if (te !== undefined && te !== 'trailers') return refuse('te other than "trailers" in an HTTP/2 request');
  // Runs on every h2 request: no entries, arrays or closures allocated.
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string' ? FORBIDDEN_IN_VALUE.test(value) : value.some((v) => FORBIDDEN_IN_VALUE.test(v))) return refuse(`CR, LF or NUL in the value of ${name}`);
  }
  const authority = headers[':authority'];
  const host = headers.host;
  // Both may be sent; they must name the same host, or routing and the backend would disagree.
  if (authority !== undefined && host !== undefined && authority !== host) return refuse(':authority and Host differ');
  const length = headers['content-length'];
  let framing: BodyFraming;
  if (length !== undefined) {
    if (!DIGITS.test(length)) return refuse('malformed content-length');
    const n = Number(length);
    if (!Number.isSafeInteger(n)) return refuse('content-length too large');
    framing = { kind: 'length', length: n };
  } else framing = endStream ? { kind: 'none' } : { kind: 'chunked' };
  return { ok: true, framing, host: host ?? authority };
}

/**
 * Fields of an HTTP/1.1 response that must not reach an HTTP/2 response (RFC 9113 8.2.2): the
 * connection-specific ones and every field the backend's Connection header names. Removed from
 * `headers` in place (Node's HTTP/2 response refuses them with an exception).
 */
export function dropConnectionHeaders(headers: Record<string, unknown>): void {
  const named = headers.connection;
  const list = Array.isArray(named) ? named.join(',') : typeof named === 'string' ? named : '';
  for (const token of list.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '') delete headers[name];
  }
  for (const name of CONNECTION_SPECIFIC) delete headers[name];
  delete headers.te;
  delete headers['http2-settings'];
}
