// A backend's interim answers to a plain request (1xx other than 100 and 101: 103 Early Hints,
// 102 Processing, ...) passed on to the client before the final response, so a browser can
// preload what 103 names while the backend still works. 100 is wsgate's own to say (it answers
// the client's Expect itself and the backend never gets one); 101 is an upgrade, never interim
// here. Like a final head, an interim one loses its connection-specific fields and those its
// Connection names (RFC 9110 7.6.1, RFC 9113 8.2.2).
//
// An HTTP/2 client gets every 1xx as a HEADERS frame. An HTTP/1.1 client gets 102 and 103, the
// two Node's ServerResponse can write (writeProcessing, writeEarlyHints): wsgate frames them
// itself, from fields it checked, never the backend's bytes. An HTTP/1.0 client gets none
// (RFC 9110 15.2: a server must not send it a 1xx).

import http from 'node:http';
import type http2 from 'node:http2';
import { dropConnectionHeaders } from './h2-request-head.js';
import { streamOf } from './h2-response.js';

/** Passes the interim answer `status` with `headers` on to `res` while its head is not sent. */
export function relayInterim(res: http.ServerResponse, status: number, headers: Readonly<Record<string, unknown>>): void {
  if (!(status >= 102 && status <= 199)) return;
  const stream = streamOf(res);
  if (stream) relayOverH2(stream, status, headers);
  else relayOverH1(res, status, headers);
}

/** The interim's end-to-end fields: lowercase names, no pseudo-headers, nothing connection-specific. */
function endToEndFields(headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && value !== undefined) fields[name.toLowerCase()] = value;
  }
  dropConnectionHeaders(fields);
  return fields;
}

function relayOverH2(stream: http2.ServerHttp2Stream, status: number, headers: Readonly<Record<string, unknown>>): void {
  if (stream.headersSent || stream.destroyed || stream.closed) return;
  stream.additionalHeaders({ ...(endToEndFields(headers) as http2.OutgoingHttpHeaders), ':status': status });
}

function relayOverH1(res: http.ServerResponse, status: number, headers: Readonly<Record<string, unknown>>): void {
  const req = res.req;
  if (res.headersSent || res.destroyed || !req || req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return;
  if (status === 102) return res.writeProcessing();
  if (status !== 103) return;
  const hints = earlyHints(endToEndFields(headers));
  // Node writes 103 only with a Link (what the status is for).
  if (!hints) return;
  try {
    res.writeEarlyHints(hints);
  } catch {
    // A Link value Node's check refuses (it is stricter than RFC 8288): the hint is dropped,
    // the response goes on.
  }
}

/**
 * The fields of a 103 for Node's writeEarlyHints, which writes names and values as given
 * (only Link is checked): each one is checked here as for any head, a field that fails is
 * dropped. Link comes as a list, one value per link (Node's check takes one link per string).
 */
function earlyHints(fields: Record<string, unknown>): Record<string, string | string[]> | undefined {
  const hints: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(fields)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    try {
      http.validateHeaderName(name);
      for (const v of values) http.validateHeaderValue(name, v);
    } catch {
      continue;
    }
    hints[name] = name === 'link' ? values.flatMap((v) => v.split(/,\s*(?=<)/)) : values.join(', ');
  }
  return hints.link ? hints : undefined;
}
