// misdirected: on an HTTPS listener, a request whose Host names a server the connection's TLS
// handshake would not have reached is answered 421 Misdirected Request (RFC 9110 15.5.20),
// before lookup. Browsers reuse an HTTP/2 connection for another host its certificate covers
// (RFC 9113 9.1.1), and an HTTP/1.1 client can send any Host: without this a request would be
// served by routes (and, on a Gateway, a listener) its handshake never chose, past whatever
// that handshake stood for. "Reached" is what the certificate index answers for both names
// (sni-index.ts servedBy): the same Secret on --tls-listen, the same Gateway listener on a
// Gateway socket. A client without SNI was served the default certificate: it may ask for the
// hosts that certificate serves (an IP address, names no certificate covers), not for a host
// with a certificate or listener of its own. After normalise: the Host compared is the one
// lookup reads. Plain listeners (and h2c) carry no arrival and are not checked.

import type { Stage } from '../../pipeline/stage.js';

export const misdirectedStage: Stage = {
  name: 'misdirected',
  run: (ctx) => {
    const tls = ctx.tls;
    if (tls === undefined) return undefined;
    if (tls.servedBy(ctx.host) === tls.servedBy(tls.serverName)) return undefined;
    return {
      result: 'misdirected',
      status: 421,
      message: 'misdirected request: this connection was not made for this host; open a new connection for it',
    };
  },
};
