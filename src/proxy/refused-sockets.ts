// HTTP/1.1 client connections that sent a request refused for its framing, or bytes the parser
// refused: nothing more is served on them (a request already parsed is not forwarded either).

const refused = new WeakSet<object>();

export function markRefused(socket: object): void {
  refused.add(socket);
}

export function isRefused(socket: object): boolean {
  return refused.has(socket);
}
