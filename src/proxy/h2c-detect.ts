// --h2c: the plain listener takes HTTP/2 with prior knowledge (RFC 9113 3.3) beside HTTP/1.1,
// for load balancers that speak h2c to their targets. Each connection's first bytes decide:
// the client connection preface goes to the proxy's HTTP/2 server (h2-server.ts), anything else
// to the HTTP/1.1 server's own listeners (its parser, the handshake timeout). The bytes read are
// given back to the stream for whichever takes it. States of a connection here:
//   reading (its first bytes are a prefix of the preface, or none yet)
//     -> h2 (the whole preface) | http/1.1 (a byte that is not the preface's)
//     -> dropped: nothing decided within the handshake timeout, or the connection ended.

import type http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';
import { DeadlineSweep } from './deadline-sweep.js';
import { readFirstBytes } from './first-bytes.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type FirstBytes = 'h2' | 'http/1.1' | 'undecided';

/** What a connection's first bytes say it speaks. */
export function classifyFirstBytes(received: Buffer): FirstBytes {
  const n = Math.min(received.length, PREFACE.length);
  if (received.subarray(0, n).compare(PREFACE, 0, n) !== 0) return 'http/1.1';
  return received.length >= PREFACE.length ? 'h2' : 'undecided';
}

/**
 * Makes `server` hand connections that open with the HTTP/2 preface to `h2`. Call it after the
 * server's own 'connection' listeners are attached (they are taken off and called for HTTP/1.1
 * connections) and before requireProxyHeaders (a PROXY header comes before the preface).
 */
export function acceptH2c(server: http.Server, h2: http2.Http2Server, handshakeMs: number): void {
  const http1 = server.listeners('connection') as Array<(socket: net.Socket) => void>;
  server.removeAllListeners('connection');
  const deadline = new DeadlineSweep<net.Socket>(handshakeMs, (socket) => socket.destroy());
  server.once('close', () => deadline.stop());

  server.on('connection', (socket: net.Socket) => {
    readFirstBytes<'h2' | 'http/1.1'>(socket, deadline, {
      decide: (received) => {
        const speaks = classifyFirstBytes(received);
        return speaks === 'undecided' ? undefined : speaks;
      },
      decided: (s, speaks, received) => {
        // Paused, so whoever takes the socket reads the bytes given back first.
        s.pause();
        s.unshift(received);
        if (speaks === 'h2') {
          h2.emit('connection', s);
          return;
        }
        for (const listener of http1) listener.call(server, s);
        s.resume();
      },
      ended: (s) => s.destroy(),
    });
  });
}
