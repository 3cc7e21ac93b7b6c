// Plain responses still owed on a client connection. Node's server emits 'upgrade' for a
// request pipelined behind plain ones as soon as its head is parsed, while the earlier
// responses are still to be written on the same socket: answering the upgrade then would put
// its 101 and the tunnel's frames (or its refusal and the close) ahead of them, and the
// earlier response would later be written into the tunnel. HTTP/1.1 answers in request order
// (RFC 9112 9.3.2), so the upgrade waits until every earlier response on its connection is done.

import type http from 'node:http';

interface Owed {
  count: number;
  readonly waiters: Array<() => void>;
}

const owed = new WeakMap<object, Owed>();

/** Counts `res` as owed on `socket` until it closes (written in full, or abandoned). */
export function owe(socket: object, res: http.ServerResponse): void {
  let o = owed.get(socket);
  if (!o) owed.set(socket, (o = { count: 0, waiters: [] }));
  o.count++;
  const entry = o;
  res.once('close', () => {
    if (--entry.count > 0) return;
    for (const w of entry.waiters.splice(0)) w();
  });
}

/** How many responses are owed on `socket` now. */
export function owedOn(socket: object): number {
  return owed.get(socket)?.count ?? 0;
}

/** Resolves once no response is owed on `socket` (at once when none is). */
export function settled(socket: object): Promise<void> {
  const o = owed.get(socket);
  if (!o || o.count === 0) return Promise.resolve();
  return new Promise((resolve) => o.waiters.push(resolve));
}
