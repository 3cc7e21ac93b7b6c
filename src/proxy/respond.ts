import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { HttpMethod } from '../api/types.js';
import type { CompiledRoute } from '../routing/types.js';

/**
 * Answers an upgrade request that will not be proxied with a complete HTTP/1.1 response and
 * closes the socket once it is flushed. Safe to call on a socket that is already gone.
 */
export function respondAndClose(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = message + '\n';
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
  const all: Record<string, string> = {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    ...headers,
  };
  for (const [k, v] of Object.entries(all)) head += `${k}: ${v}\r\n`;
  socket.end(head + '\r\n' + body);
  // A client that never reads must not keep the socket: destroy once flushed or soon after.
  const timer = setTimeout(() => socket.destroy(), 5000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Why a plain (non-upgrade) request is not proxied on `route`: 426 when the route takes only
 * upgrades (saying how to open it), 405 with Allow for a method it does not list.
 */
export function plainRefusal(route: CompiledRoute, method: string): { status: number; message: string; headers: Record<string, string> } | null {
  if (!route.http) {
    return {
      status: 426,
      message: `route ${route.key} only accepts WebSocket upgrades; list the plain HTTP methods to proxy in its spec.http.methods (e.g. [GET, POST])`,
      headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13' },
    };
  }
  if (!route.http.methods.includes(method as HttpMethod)) {
    return { status: 405, message: `method ${method} is not allowed on route ${route.key}`, headers: { Allow: route.http.methods.join(', ') } };
  }
  return null;
}
