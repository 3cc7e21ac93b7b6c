import type { IncomingMessage } from 'node:http';
import type { HashOn } from '../api/types.js';
import { cookieValue } from './affinity.js';

/**
 * The ConsistentHash key of a request, or undefined when the request lacks it (the route then
 * falls back to LeastConnections for that request). `clientGroup` is the client identity
 * (X-Forwarded-For behind a trusted proxy), never simply the peer, and for an IPv6 client its
 * prefix (security/client-group.ts): the addresses of one host reach one endpoint.
 */
export function hashKey(hashOn: HashOn | undefined, req: IncomingMessage, clientGroup: string): string | undefined {
  if (!hashOn) return undefined;
  if (hashOn.sourceIP) return clientGroup || undefined;
  if (hashOn.header) {
    const v = req.headers[hashOn.header.toLowerCase()];
    return (Array.isArray(v) ? v.join(',') : v) || undefined;
  }
  if (hashOn.cookie) return cookieValue(req.headers.cookie, hashOn.cookie);
  if (hashOn.query) {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if (q === -1) return undefined;
    return new URLSearchParams(url.slice(q + 1)).get(hashOn.query) ?? undefined;
  }
  return undefined;
}
