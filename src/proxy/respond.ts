import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

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
