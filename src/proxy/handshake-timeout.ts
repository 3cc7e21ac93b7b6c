// Slow clients: a connection that has not sent a complete request head within the handshake
// timeout gets 408 and is closed (slowloris). Node's own headersTimeout is checked only every
// connectionsCheckingInterval (30 s), so wsgate keeps a timer per new connection instead.

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { respondAndClose } from './respond.js';

export function enforceHandshakeTimeout(server: http.Server, ms: number): void {
  if (ms <= 0) return;
  const timers = new WeakMap<Duplex, NodeJS.Timeout>();
  const clear = (socket: Duplex) => {
    clearTimeout(timers.get(socket));
    timers.delete(socket);
  };
  server.headersTimeout = Math.max(ms, 1000);
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => {
      timers.delete(socket);
      respondAndClose(socket, 408, 'request head not received in time');
    }, ms);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clear(socket));
  });
  server.on('upgrade', (req: http.IncomingMessage) => clear(req.socket));
  server.on('request', (req: http.IncomingMessage) => clear(req.socket));
}
