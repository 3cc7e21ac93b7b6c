// An RFC 8441 WebSocket (an HTTP/2 stream with `:method CONNECT` and `:protocol websocket`)
// read as the HTTP/1.1 upgrade request wsgate sends the backend, so the stages after it
// (normalise, lookup, admit, choose, the backend exchange) are the ones an HTTP/1.1 Upgrade
// passes. Host comes from `:authority`, the target from `:path`; what only an HTTP/1.1
// handshake has is wsgate's own: `Upgrade`/`Connection`, and a fresh `Sec-WebSocket-Key`
// whose Accept the backend must answer (RFC 8441 5: the key and accept are not used over h2).
// Whatever of those the client sent is dropped, never forwarded.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

export interface StreamRefusal {
  ok: false;
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/**
 * Headers a client may not send on an extended CONNECT: those that make an HTTP/1.1 handshake
 * (wsgate writes its own) and the connection-specific ones HTTP/2 forbids (RFC 9113 8.2.2;
 * nghttp2 refuses most of them before they get here).
 */
const HANDSHAKE_ONLY = new Set(['sec-websocket-key', 'sec-websocket-accept', 'upgrade', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'host']);

/**
 * What the stages read of the client's connection: the peer and local addresses and whether
 * it is TLS, copied when the stream arrives (the session's socket may be gone later), and
 * `destroyed` of the stream itself: admission asks it after an await, and a stream reset by
 * the client is gone even while its connection lives on.
 */
export interface StreamPeer {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly encrypted: boolean;
  readonly destroyed: boolean;
}

function peerOf(stream: Duplex, socket: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number; encrypted?: boolean } | undefined): StreamPeer {
  const copy = { remoteAddress: socket?.remoteAddress, remotePort: socket?.remotePort, localAddress: socket?.localAddress, localPort: socket?.localPort, encrypted: socket?.encrypted === true };
  return {
    ...copy,
    get destroyed() {
      return stream.destroyed;
    },
  };
}

/** A field name as HTTP/2 carries it: a lower-case token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 4.1). */
export function newWebSocketKey(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The checks of RFC 8441 4-5 and RFC 9113 8.3 on the stream's headers, before any routing:
 * a precise status instead of a backend seeing a malformed handshake.
 */
export function checkExtendedConnect(headers: http2.IncomingHttpHeaders): StreamRefusal | null {
  if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') {
    return { ok: false, status: 501, message: 'only the websocket protocol is supported on an extended CONNECT' };
  }
  const path = headers[':path'];
  if (headers[':scheme'] === undefined || path === undefined || path === '') {
    return { ok: false, status: 400, message: 'an extended CONNECT needs :scheme and :path (RFC 8441 4)' };
  }
  // A WebSocket URI's path and query (RFC 8441 4, RFC 6455 3): origin-form, never absolute.
  if (!path.startsWith('/')) return { ok: false, status: 400, message: ':path must start with "/"' };
  const authority = headers[':authority'];
  if (authority === undefined || authority === '') return { ok: false, status: 400, message: 'missing :authority' };
  // The fields are written as HTTP/1.1 lines to the backend: nghttp2 refuses CR, LF and NUL in
  // them already (RFC 9113 8.2.1), and what would end a line or a name is refused here again.
  for (const name of Object.keys(headers)) {
    if (!name.startsWith(':') && !FIELD_NAME.test(name)) return { ok: false, status: 400, message: 'invalid header field name' };
    const value = headers[name];
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && /[\r\n\0]/.test(v)) return { ok: false, status: 400, message: `invalid characters in ${name}` };
    }
  }
  const host = one(headers.host);
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) {
    return { ok: false, status: 400, message: 'Host differs from :authority' };
  }
  const length = one(headers['content-length']);
  if (length !== undefined && length.trim() !== '0') return { ok: false, status: 400, message: 'a WebSocket upgrade must not have a body (Content-Length)' };
  if (headers['transfer-encoding'] !== undefined) return { ok: false, status: 400, message: 'a WebSocket upgrade must not have a body (Transfer-Encoding)' };
  if (one(headers['sec-websocket-version']) !== '13') {
    return { ok: false, status: 426, message: 'unsupported Sec-WebSocket-Version; this server speaks version 13', headers: { 'Sec-WebSocket-Version': '13' } };
  }
  return null;
}

/**
 * The stream as the HTTP/1.1 upgrade request the stages work on (and the backend gets once
 * admission prepared it): GET `:path`, Host `:authority` first, the client's other headers in
 * their order, then `Upgrade`, `Connection`, wsgate's key and version 13.
 */
export function upgradeRequestOf(stream: Duplex, session: { readonly socket?: net.Socket } | undefined, headers: http2.IncomingHttpHeaders): http.IncomingMessage {
  const peer = peerOf(stream, session?.socket);
  const req = new http.IncomingMessage(peer as unknown as net.Socket);
  req.method = 'GET';
  // A stream missing these is refused (checkExtendedConnect) before anything reads them.
  req.url = headers[':path'] ?? '/';
  req.httpVersion = '2.0';
  req.httpVersionMajor = 2;
  req.httpVersionMinor = 0;
  const authority = headers[':authority'];
  const h1: http.IncomingHttpHeaders = authority === undefined ? {} : { host: authority };
  const raw: string[] = authority === undefined ? [] : ['Host', authority];
  for (const name of Object.keys(headers)) {
    if (name.startsWith(':') || HANDSHAKE_ONLY.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    (h1 as Record<string, string | string[]>)[name] = value;
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, v);
  }
  h1.upgrade = 'websocket';
  h1.connection = 'Upgrade';
  h1['sec-websocket-key'] = newWebSocketKey();
  h1['sec-websocket-version'] = '13';
  raw.push('Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Key', h1['sec-websocket-key'], 'Sec-WebSocket-Version', '13');
  req.headers = h1;
  req.rawHeaders = raw;
  req.complete = true;
  return req;
}
