// The first bytes of a new connection, read off the raw socket before any server sees it, until
// they decide what the connection is (a PROXY header or not, the HTTP/2 preface or not): the
// shared reading of proxy-protocol-gate.ts and h2c-detect.ts. Per-connection closures that hold
// the bytes received so far and live only until the decision (one packet, as a rule).

import type net from 'node:net';
import type { DeadlineSweep } from './deadline-sweep.js';

export interface FirstBytesReader<T> {
  /** What the bytes so far decide, or undefined to wait for more. */
  decide(received: Buffer): T | undefined;
  /** The decision, with every byte read (the caller gives back what the next reader needs). */
  decided(socket: net.Socket, decision: T, received: Buffer): void;
  /** The connection ended before a decision. */
  ended(socket: net.Socket): void;
}

/** Reads `socket` until `reader` decides; `deadline` (its owner's sweep) drops it if it never does. */
export function readFirstBytes<T>(socket: net.Socket, deadline: DeadlineSweep<net.Socket>, reader: FirstBytesReader<T>): void {
  let received: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const decision = reader.decide(received);
    if (decision === undefined) return;
    stopReading();
    reader.decided(socket, decision, received);
  };
  const onEnd = () => {
    stopReading();
    reader.ended(socket);
  };
  const stopReading = () => {
    deadline.delete(socket);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    socket.off('close', stopReading);
  };
  deadline.add(socket);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', stopReading);
}

function onError(this: net.Socket): void {
  this.destroy();
}
