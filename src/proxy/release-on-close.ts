// What was counted for a client connection (a connection slot, admission's per-client and
// per-route counts) is given back when its socket closes: one shared 'close' listener per
// socket, not a closure that would keep the request alive with it.

import type { Duplex } from 'node:stream';

const kRelease = Symbol('wsgate.release');
type ReleasingSocket = Duplex & { [kRelease]?: Array<() => void> };

function runRelease(this: ReleasingSocket): void {
  const fns = this[kRelease];
  this[kRelease] = undefined;
  for (const fn of fns ?? []) fn();
}

/** Runs `release` when the client socket closes (at once if it is gone already). */
export function releaseOnClose(socket: Duplex, release: () => void): void {
  if (socket.destroyed) return release();
  const s = socket as ReleasingSocket;
  const list = s[kRelease];
  if (list) list.push(release);
  else {
    s[kRelease] = [release];
    socket.on('close', runRelease);
  }
}
