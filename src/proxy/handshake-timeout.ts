// Slow clients: a connection that has not sent a complete request head within the handshake
// timeout gets 408 and is closed (slowloris). Node's own headersTimeout is checked only every
// connectionsCheckingInterval (30 s), so wsgate checks itself: new connections wait in one
// insertion-ordered set (their arrival time on the socket) that one interval sweeps, with
// listeners shared by every socket, so no timer or closure is made per connection.

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { respondAndClose } from './respond.js';

const kArrived = Symbol('wsgate.arrived');
type Waiting = Duplex & { [kArrived]?: number };

export function enforceHandshakeTimeout(server: http.Server, ms: number): void {
  if (ms <= 0) return;
  const waiting = new Set<Waiting>();
  server.headersTimeout = Math.max(ms, 1000);
  const period = Math.min(1000, Math.max(10, Math.floor(ms / 8)));
  const sweep = setInterval(() => {
    const now = performance.now();
    // Oldest first: stop at the first one still within its time.
    for (const socket of waiting) {
      if (now - socket[kArrived]! < ms) break;
      waiting.delete(socket);
      respondAndClose(socket, 408, 'request head not received in time');
    }
  }, period);
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
  function gone(this: Waiting): void {
    waiting.delete(this);
  }
  server.on('connection', (socket: Waiting) => {
    socket[kArrived] = performance.now();
    waiting.add(socket);
    socket.on('close', gone);
  });
  const headComplete = (req: http.IncomingMessage) => {
    const socket = req.socket as Waiting;
    if (waiting.delete(socket)) socket.removeListener('close', gone);
  };
  server.on('upgrade', headComplete);
  server.on('request', headComplete);
}
