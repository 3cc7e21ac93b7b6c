// A backend's interim answers to a plain request (1xx other than 100 and 101: 103 Early Hints,
// 102 Processing, ...) passed on to an HTTP/2 client as HEADERS frames before the final
// response, so a browser can preload what 103 names while the backend still works. 100 is
// wsgate's own to say (it answers the client's Expect itself and the backend never gets one);
// 101 is an upgrade, never interim here. Like a final head, an interim one loses its
// connection-specific fields and those its Connection names (RFC 9113 8.2.2). An HTTP/1.1
// client gets none of them (Node's ServerResponse writes 100, 102 and 103 only on its own terms).

import type http from 'node:http';
import type http2 from 'node:http2';
import { dropConnectionHeaders } from './h2-request-head.js';
import { streamOf } from './h2-response.js';

/** Passes the interim answer `status` with `headers` on to `res` when it is an HTTP/2 response still before its head. */
export function relayInterim(res: http.ServerResponse, status: number, headers: Readonly<Record<string, unknown>>): void {
  if (!(status >= 102 && status <= 199)) return;
  const stream = streamOf(res);
  if (!stream || stream.headersSent || stream.destroyed || stream.closed) return;
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && value !== undefined) fields[name.toLowerCase()] = value;
  }
  dropConnectionHeaders(fields);
  stream.additionalHeaders({ ...(fields as http2.OutgoingHttpHeaders), ':status': status });
}
