// The framing of a plain request's body, as Node's strict parser read it, and the framing
// headers wsgate writes for the backend from it. Pure: a request head in, a decision out.
//
// Node (llhttp, strict mode) already refuses most ambiguous heads before wsgate sees them
// (Content-Length with Transfer-Encoding, duplicate or malformed Content-Length, chunked not
// last, bad chunk sizes, bare LF, obs-fold). What it lets through and wsgate refuses here:
// transfer codings other than chunked (501, RFC 9112 6.1), Transfer-Encoding in HTTP/1.0
// (RFC 9112 6.1: faulty framing), several Host fields (RFC 9112 3.2), and, as a second check of
// the parser, any Content-Length or Transfer-Encoding wsgate would not have framed the same way.

import type { IncomingHttpHeaders } from 'node:http';
import type { BodyFraming } from '../pipeline/body-framing.js';

export type { BodyFraming };

export type FramingVerdict = { readonly ok: true; readonly framing: BodyFraming } | { readonly ok: false; readonly status: 400 | 501; readonly message: string };

/** What the classification reads of a request (an http.IncomingMessage has it all). */
export interface RequestHead {
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  /** Names and values as received, alternating (duplicates kept, unlike `headers`). */
  readonly rawHeaders: readonly string[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]+$/;

function refuse(status: 400 | 501, message: string): FramingVerdict {
  return { ok: false, status, message };
}

/** The body framing of an HTTP/1.x request head, or why wsgate refuses it. */
export function requestFraming(head: RequestHead): FramingVerdict {
  const lengths: string[] = [];
  const codings: string[] = [];
  let transferEncodingLines = 0;
  let hosts = 0;
  for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
    const name = head.rawHeaders[i]!.toLowerCase();
    const value = head.rawHeaders[i + 1]!;
    if (name === 'content-length') lengths.push(value.trim());
    else if (name === 'host') hosts++;
    else if (name === 'transfer-encoding') {
      transferEncodingLines++;
      // A list (RFC 9110 5.6.1): empty elements are ignored, as recipients must.
      for (const element of value.split(',')) {
        const coding = element.trim().toLowerCase();
        if (coding !== '') codings.push(coding);
      }
    }
  }
  if (hosts > 1) return refuse(400, 'more than one Host header');
  if (transferEncodingLines > 0) {
    if (head.httpVersionMajor === 1 && head.httpVersionMinor === 0) return refuse(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (lengths.length > 0) return refuse(400, 'both Content-Length and Transfer-Encoding');
    if (codings.length === 0) return refuse(400, 'empty Transfer-Encoding');
    if (codings.some((c) => !TOKEN.test(c))) return refuse(400, 'malformed Transfer-Encoding');
    if (codings.length === 1 && codings[0] === 'chunked') return { ok: true, framing: { kind: 'chunked' } };
    if (codings.filter((c) => c === 'chunked').length !== 1 || codings[codings.length - 1] !== 'chunked') {
      return refuse(400, 'Transfer-Encoding must end with chunked, once');
    }
    return refuse(501, `transfer coding ${codings.find((c) => c !== 'chunked')} is not supported (only chunked)`);
  }
  if (lengths.length > 1) return refuse(400, 'more than one Content-Length');
  if (lengths.length === 1) {
    const raw = lengths[0]!;
    if (!DIGITS.test(raw)) return refuse(400, 'malformed Content-Length');
    const length = Number(raw);
    if (!Number.isSafeInteger(length)) return refuse(400, 'Content-Length too large');
    return { ok: true, framing: { kind: 'length', length } };
  }
  return { ok: true, framing: { kind: 'none' } };
}

/**
 * Methods whose semantics do not anticipate content: without a body they are sent without
 * Content-Length (RFC 9110 8.6); any other method gets `Content-Length: 0`.
 */
const NO_CONTENT_EXPECTED = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/**
 * Replaces whatever framing headers `headers` holds (the client's, or what anything after the
 * parser did to them) with wsgate's own for `framing`. Node's ClientRequest then writes the
 * body accordingly: as is after a Content-Length, chunk-encoded after `chunked`.
 */
export function writeFraming(headers: IncomingHttpHeaders, framing: BodyFraming, method: string): void {
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  if (framing.kind === 'length') headers['content-length'] = String(framing.length);
  else if (framing.kind === 'chunked') headers['transfer-encoding'] = 'chunked';
  else if (!NO_CONTENT_EXPECTED.has(method)) headers['content-length'] = '0';
}
