import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { normalizeAddress } from './client-address.js';

/**
 * X-Forwarded-* for the backend. From a trusted proxy (--trusted-proxies), the peer is appended
 * to X-Forwarded-For and the proxy's X-Forwarded-Proto/-Host/-Port are kept; from anyone else
 * the values are overwritten: what a client sent there is only its own claim.
 */
export function forwardedHeaders(req: IncomingMessage, fromTrustedProxy: boolean): Record<string, string> {
  const encrypted = req.socket instanceof TLSSocket;
  const peer = normalizeAddress(req.socket.remoteAddress ?? '');
  const own = {
    'x-forwarded-for': peer,
    'x-forwarded-proto': encrypted ? 'https' : 'http',
    'x-forwarded-host': req.headers.host ?? '',
    'x-forwarded-port': String(req.socket.localPort ?? ''),
  };
  if (!fromTrustedProxy) return own;
  const first = (name: string): string | undefined => {
    const v = req.headers[name];
    const s = Array.isArray(v) ? v.join(', ') : v;
    return s && s.trim() !== '' ? s.trim() : undefined;
  };
  const xff = first('x-forwarded-for');
  return {
    'x-forwarded-for': xff ? `${xff}, ${peer}` : peer,
    'x-forwarded-proto': first('x-forwarded-proto') ?? own['x-forwarded-proto'],
    'x-forwarded-host': first('x-forwarded-host') ?? own['x-forwarded-host'],
    'x-forwarded-port': first('x-forwarded-port') ?? own['x-forwarded-port'],
  };
}
