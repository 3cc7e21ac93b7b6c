// The forwarding headers the backend receives: who the client is and how it reached wsgate.
//
// From an untrusted peer (anyone not in --trusted-proxies) whatever the client sent in these
// headers is only its own claim: X-Forwarded-*, Forwarded and X-Real-IP are replaced by
// wsgate's own values. From a trusted proxy the chain is extended: X-Forwarded-For and
// Forwarded get wsgate's hop appended (RFC 7239 4: each proxy appends its element), the
// proxy's X-Forwarded-Proto/-Host/-Port are kept, and X-Real-IP is the client computed from
// X-Forwarded-For (client-address.ts). X-Original-URL and X-Rewrite-URL (which some frameworks
// let override the request target) never reach the backend: wsgate routed and authorised the
// request by its target, and a backend honouring one would serve another path.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { normalizeAddress } from './client-address.js';

/** Headers that would make a backend serve another target than the one wsgate routed. */
export const TARGET_OVERRIDE_HEADERS = ['x-original-url', 'x-rewrite-url'] as const;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A Forwarded parameter value: a token as is, anything else as a quoted-string (RFC 7239 4). */
function forwardedValue(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A node identifier for `for=`: IPv6 in brackets (and so quoted), as RFC 7239 6 writes it. */
function forwardedNode(address: string): string {
  if (address === '') return 'unknown';
  return forwardedValue(isIP(address) === 6 ? `[${address}]` : address);
}

/** wsgate's own Forwarded element: the peer, the Host it was asked for, and its protocol. */
export function forwardedElement(peer: string, host: string, proto: 'http' | 'https'): string {
  return `for=${forwardedNode(peer)}${host !== '' ? `;host=${forwardedValue(host)}` : ''};proto=${proto}`;
}

/**
 * X-Forwarded-*, Forwarded and X-Real-IP for the backend. `client` is the client wsgate
 * computed (the peer, or the X-Forwarded-For walk behind a trusted proxy).
 */
export function forwardedHeaders(req: IncomingMessage, fromTrustedProxy: boolean, client: string): Record<string, string> {
  // `encrypted`, not instanceof TLSSocket: an RFC 8441 WebSocket's request stands on its
  // HTTP/2 stream, whose view of the connection says whether it is TLS (h2-websocket/request.ts).
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const peer = normalizeAddress(req.socket.remoteAddress ?? '');
  const proto = encrypted ? 'https' : 'http';
  const host = req.headers.host ?? '';
  const own = {
    'x-forwarded-for': peer,
    'x-forwarded-proto': proto,
    'x-forwarded-host': host,
    'x-forwarded-port': String(req.socket.localPort ?? ''),
    forwarded: forwardedElement(peer, host, proto),
    'x-real-ip': client,
  };
  if (!fromTrustedProxy) return own;
  const first = (name: string): string | undefined => {
    const v = req.headers[name];
    const s = Array.isArray(v) ? v.join(', ') : v;
    return s && s.trim() !== '' ? s.trim() : undefined;
  };
  const xff = first('x-forwarded-for');
  const forwarded = first('forwarded');
  return {
    'x-forwarded-for': xff ? `${xff}, ${peer}` : peer,
    'x-forwarded-proto': first('x-forwarded-proto') ?? own['x-forwarded-proto'],
    'x-forwarded-host': first('x-forwarded-host') ?? own['x-forwarded-host'],
    'x-forwarded-port': first('x-forwarded-port') ?? own['x-forwarded-port'],
    forwarded: forwarded ? `${forwarded}, ${own.forwarded}` : own.forwarded,
    'x-real-ip': client,
  };
}
