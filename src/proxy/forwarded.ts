import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

/**
 * X-Forwarded-* for the backend. Values from the client are overwritten, not appended: without
 * a trusted proxy in front, anything the client sent there is its own claim.
 */
export function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const encrypted = req.socket instanceof TLSSocket;
  return {
    'x-forwarded-for': req.socket.remoteAddress ?? '',
    'x-forwarded-proto': encrypted ? 'https' : 'http',
    'x-forwarded-host': req.headers.host ?? '',
    'x-forwarded-port': String(req.socket.localPort ?? ''),
  };
}
