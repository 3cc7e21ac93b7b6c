import type { IncomingMessage } from 'node:http';
import type { HashOn } from '../api/types.js';

/**
 * The ConsistentHash key of an upgrade request, or undefined when the request lacks it (the
 * route then falls back to LeastConnections for that connection).
 */
export function hashKey(hashOn: HashOn | undefined, req: IncomingMessage, clientAddress: string): string | undefined {
  if (!hashOn) return undefined;
  if (hashOn.sourceIP) return clientAddress || undefined;
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

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
