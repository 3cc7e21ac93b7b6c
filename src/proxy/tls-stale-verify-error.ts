// A workaround for Node (24) and OpenSSL: when a client certificate names an issuer of the CA
// bundle but was signed by another key (the conformance suite's two CAs share a subject, and
// anyone can write any issuer name), OpenSSL's failed signature check leaves its error (e.g.
// "rsa routines: data too large for modulus") on the thread's error queue. Node's verify
// callback accepts the certificate so that `socket.authorized` can say false, but the same read
// that completes the handshake then finds that stale error and reports it as a TLS error on the
// socket: the HTTP server answers 400 to a client AllowInsecureFallback must serve. The error
// queue is cleared when that read returns, so the connection itself is fine: the one stale,
// non-protocol error emitted in the handshake's tick on an unverified socket is dropped. A
// protocol error (OpenSSL's "SSL routines") or any later error goes through as before.

import type tls from 'node:tls';
import type { Logger } from 'pino';

/** OpenSSL's library name for TLS protocol errors; a stale verification error comes from another (rsa, x509, asn1, provider ...). */
const PROTOCOL_LIBRARY = 'SSL routines';

function isStaleVerifyError(err: unknown): boolean {
  const library = (err as { library?: unknown } | null)?.library;
  return typeof library === 'string' && library !== PROTOCOL_LIBRARY;
}

/**
 * On a socket whose client certificate did not verify (authorized false with an
 * authorizationError), drops the first stale verification error emitted before the next turn
 * of the event loop. Call it in 'secureConnection', before the socket is handed on.
 */
export function dropStaleVerifyError(socket: tls.TLSSocket, log: Logger): void {
  if (socket.authorized || !socket.authorizationError) return;
  const emit = socket.emit;
  const restore = () => {
    socket.emit = emit;
  };
  setImmediate(restore);
  socket.emit = function (this: tls.TLSSocket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && isStaleVerifyError(args[0])) {
      restore();
      log.debug({ err: (args[0] as Error).message, authorizationError: socket.authorizationError }, 'stale OpenSSL error of an unverified client certificate dropped');
      return true;
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof socket.emit;
}
