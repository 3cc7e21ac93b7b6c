// Slow clients: a connection that has not sent a complete request head within the handshake
// timeout gets 408 and is closed (slowloris). Node's own headersTimeout is checked only every
// connectionsCheckingInterval (30 s), so wsgate checks itself: new connections wait in one
// deadline sweep (deadline-sweep.ts), with listeners shared by every socket, so no timer or
// closure is made per connection.

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { DeadlineSweep } from './deadline-sweep.js';
import { respondAndClose } from './respond.js';

export function enforceHandshakeTimeout(server: http.Server, ms: number): void {
  if (ms <= 0) return;
  server.headersTimeout = Math.max(ms, 1000);
  const waiting = new DeadlineSweep<Duplex>(ms, (socket) => respondAndClose(socket, 408, 'request head not received in time'));
  server.once('close', () => waiting.stop());
  function gone(this: Duplex): void {
    waiting.delete(this);
  }
  server.on('connection', (socket: Duplex) => {
    waiting.add(socket);
    socket.on('close', gone);
  });
  const headComplete = (req: http.IncomingMessage) => {
    const socket = req.socket;
    if (waiting.delete(socket)) socket.removeListener('close', gone);
  };
  server.on('upgrade', headComplete);
  server.on('request', headComplete);
}
