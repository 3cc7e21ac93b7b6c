// A backend's HTTP/1.1 answer head as the HEADERS of an HTTP/2 response: the status given, the
// header lines with lower-cased names, minus what HTTP/2 forbids (the connection-specific
// fields, RFC 9113 8.2.2, and those the backend's own Connection names) and what only an
// HTTP/1.1 handshake has (Sec-WebSocket-Accept: RFC 8441 5 does not use it; it was checked
// against wsgate's key before this). Set-Cookie stays one field per cookie; other repeated
// fields are joined with ", " (RFC 9110 5.3). A line whose name is not a token or whose value
// holds control characters is not HTTP either way and is dropped (Node would refuse to send
// the whole response for it). Pure.

import type http2 from 'node:http2';

const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);
const HANDSHAKE_ONLY = new Set(['sec-websocket-accept']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The header lines of `head` (status line to blank line, latin1) as [lower-cased name, value] pairs. */
export function headerLines(head: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = head.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/**
 * The HTTP/2 response headers for `head` answered with `status`. `bodyDelimited`: keep
 * Content-Length (the body is relayed as the backend delimits it); otherwise it is dropped.
 */
export function h2ResponseHeaders(head: string, status: number, bodyDelimited = false): http2.OutgoingHttpHeaders {
  const lines = headerLines(head);
  const named = new Set<string>();
  for (const [name, value] of lines) {
    if (name !== 'connection') continue;
    for (const token of value.split(',')) named.add(token.trim().toLowerCase());
  }
  const out: Record<string, string | string[]> = { ':status': String(status) };
  for (const [name, value] of lines) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value) || CONNECTION_SPECIFIC.has(name) || HANDSHAKE_ONLY.has(name) || named.has(name)) continue;
    if (name === 'content-length' && !bodyDelimited) continue;
    const current = out[name];
    if (current === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(current)) current.push(value);
    else out[name] = `${current}, ${value}`;
  }
  return out;
}
