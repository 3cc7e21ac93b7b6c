// What the TLS handshake of a client connection named (its SNI), kept on the TLS socket by the
// listener that accepted it (tls-listener.ts), so every request on the connection, HTTP/1.1 or
// an HTTP/2 stream, can be checked against it (stages/misdirected.ts). A symbol property, not a
// WeakMap: HTTP/2 hands out the session's socket behind a Proxy, which forwards property reads
// to the real socket but is not the key a WeakMap would hold.

import type { X509Certificate } from 'node:crypto';
import type tls from 'node:tls';
import type { VerifiedClientCertificate } from '../api/client-validation.js';
import type { TlsArrival } from '../pipeline/context.js';
import { certificateVerifiedBy, verifiedClientCertificate } from './client-certificate.js';

const ARRIVAL = Symbol('wsgate.tlsArrival');

type Marked = { [ARRIVAL]?: TlsArrival };

/**
 * Records on an accepted TLS socket what its client named and the client certificate it
 * verified; `servedBy` answers for the listener's certificates now.
 */
export function markArrival(socket: tls.TLSSocket, servedBy: (name: string | undefined) => string, perRoute = false): void {
  // servername is false (or absent) when the client sent no SNI.
  const name = typeof socket.servername === 'string' && socket.servername !== '' ? socket.servername : undefined;
  if (perRoute) {
    (socket as Marked)[ARRIVAL] = { serverName: name, servedBy, clientCertificateFor: perRouteCheck(socket) };
    return;
  }
  const clientCertificate = verifiedClientCertificate(socket);
  (socket as Marked)[ARRIVAL] = { serverName: name, servedBy, ...(clientCertificate ? { clientCertificate } : {}) };
}

/**
 * The check of each route's CA bundle on this connection, remembered per bundle (the table's
 * anchors list): a connection carries many requests, mostly to one route. Bound to the real
 * socket: HTTP/2 later hands out a Proxy of it.
 */
function perRouteCheck(socket: tls.TLSSocket): TlsArrival['clientCertificateFor'] {
  const checked = new WeakMap<readonly X509Certificate[], VerifiedClientCertificate | null>();
  return (anchors) => {
    let verdict = checked.get(anchors);
    if (verdict === undefined) {
      verdict = certificateVerifiedBy(socket, anchors) ?? null;
      checked.set(anchors, verdict);
    }
    return verdict ?? undefined;
  };
}

/**
 * The arrival of the connection `socket` belongs to (an HTTP/1.1 request's socket, an HTTP/2
 * session's socket), or undefined on a plain connection or a socket already gone.
 */
export function arrivalOf(socket: object | undefined): TlsArrival | undefined {
  try {
    return (socket as Marked | undefined)?.[ARRIVAL];
  } catch {
    // An HTTP/2 session's socket Proxy throws once the session let go of its socket.
    return undefined;
  }
}
