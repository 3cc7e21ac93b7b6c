// RFC 6455 section 4.2.1 checks on the client's opening handshake, before any routing, so a
// malformed request gets a precise status instead of reaching a backend.

import type { IncomingMessage } from 'node:http';

export interface HandshakeRejection {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

const KEY = /^[A-Za-z0-9+/]{22}==$/;

export function checkHandshake(req: IncomingMessage): HandshakeRejection | null {
  if (req.method !== 'GET') {
    return { status: 405, message: 'WebSocket upgrades must use GET', headers: { Allow: 'GET' } };
  }
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) {
    return { status: 400, message: 'WebSocket upgrades need HTTP/1.1' };
  }
  const ambiguity = findAmbiguity(req.rawHeaders);
  if (ambiguity) return { status: 400, message: ambiguity };
  if (!req.headers.host) return { status: 400, message: 'missing Host header' };
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return { status: 400, message: 'Upgrade header must be "websocket"' };
  }
  const version = req.headers['sec-websocket-version'];
  if (version !== '13') {
    return {
      status: 426,
      message: 'unsupported Sec-WebSocket-Version; this server speaks version 13',
      headers: { 'Sec-WebSocket-Version': '13' },
    };
  }
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key.trim())) {
    return { status: 400, message: 'missing or invalid Sec-WebSocket-Key' };
  }
  return null;
}

/**
 * Requests that two parsers could read differently are refused rather than forwarded. An
 * upgrade has no body (RFC 6455 4.1 sends a GET; RFC 9110 9.3.1 gives a GET body no meaning):
 * any Transfer-Encoding, or a non-zero Content-Length, means bytes behind the head that Node
 * counts as body and the backend, reading a WebSocket upgrade, may read as a second request
 * or as frames. So they are refused before a backend is chosen.
 */
export function findAmbiguity(raw: string[]): string | null {
  let hosts = 0;
  let keys = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'host') hosts++;
    else if (name === 'content-length') {
      if (raw[i + 1]!.trim() !== '0') return 'a WebSocket upgrade must not have a body (Content-Length)';
    } else if (name === 'transfer-encoding') return 'a WebSocket upgrade must not have a body (Transfer-Encoding)';
    else if (name === 'sec-websocket-key') keys++;
  }
  if (hosts > 1) return 'duplicate Host header';
  if (keys > 1) return 'duplicate Sec-WebSocket-Key header';
  return null;
}

export function offeredSubprotocols(req: IncomingMessage): string[] {
  const value = req.headers['sec-websocket-protocol'];
  if (!value) return [];
  return value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}
