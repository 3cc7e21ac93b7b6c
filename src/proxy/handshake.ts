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

/** Requests that two parsers could read differently are refused rather than forwarded. */
function findAmbiguity(raw: string[]): string | null {
  let hosts = 0;
  let contentLength = false;
  let transferEncoding = false;
  let body = false;
  let keys = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'host') hosts++;
    else if (name === 'content-length') {
      contentLength = true;
      if (raw[i + 1]!.trim() !== '0') body = true;
    } else if (name === 'transfer-encoding') transferEncoding = true;
    else if (name === 'sec-websocket-key') keys++;
  }
  if (hosts > 1) return 'duplicate Host header';
  if (contentLength && transferEncoding) return 'both Content-Length and Transfer-Encoding';
  // The handshake is a GET without content (RFC 6455 4.1): the bytes after its head are frames,
  // which a backend reading a body would take as that body instead.
  if (body || transferEncoding) return 'an upgrade request must not have a body';
  if (keys > 1) return 'duplicate Sec-WebSocket-Key header';
  return null;
}

/**
 * A request path must be absolute and free of dot segments (also percent-encoded ones): a
 * path like /public/../admin could match one route and reach another path on the backend.
 */
export function checkPath(rawPath: string): string | null {
  if (!rawPath.startsWith('/')) return 'request target must be an absolute path';
  for (const seg of rawPath.split('/')) {
    const s = seg.toLowerCase();
    if (s === '.' || s === '..' || /^(\.|%2e){1,2}$/.test(s)) return 'dot segments are not allowed in the path';
  }
  if (rawPath.includes('\\')) return 'backslash in the path';
  return null;
}

/** "Host: Chat.Example.com:8080" -> "chat.example.com"; IPv6 literals keep their brackets. */
export function hostWithoutPort(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function offeredSubprotocols(req: IncomingMessage): string[] {
  const value = req.headers['sec-websocket-protocol'];
  if (!value) return [];
  return value.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}
