// The TLS listener (--tls-listen): terminates TLS (1.2+, or the --tls-* policy) and hands each decrypted connection to
// the proxy's HTTP server, so upgrades over wss:// take exactly the same path as over ws://
// (req.socket is the TLSSocket: X-Forwarded-Proto is https). ALPN offers h2 and http/1.1 (the
// policy's alpn, --tls-alpn, --no-http2): a connection that chose h2 goes to the proxy's HTTP/2
// server instead (h2-server.ts), any other to the HTTP/1.1 one. The certificate is chosen per
// handshake by SNI from the current table's index, which makes certificate rotation a table
// swap: established connections keep the session they negotiated.

import type http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { ClientValidation } from '../api/client-validation.js';
import { alpnOf, secureOptions, type TlsPolicy } from '../api/tls-policy.js';
import { inheritProxiedPeer, requireProxyHeaders, type ProxyProtocolOptions } from './proxy-protocol-gate.js';
import { markArrival } from './tls-arrival.js';
import { dropStaleVerifyError } from './tls-stale-verify-error.js';

export interface TlsListenerOptions {
  /** The proxy's HTTP server; TLS connections are emitted to it as `connection`. */
  server: http.Server;
  /** The proxy's HTTP/2 server for this listener; absent: h2 is not offered whatever the policy says. */
  h2Server?: http2.Http2Server;
  /** The certificate for a server name (SNI), or undefined for the default. */
  contextFor: (servername: string) => tls.SecureContext | undefined;
  /**
   * What a handshake naming a server (undefined: no SNI) is served now (SniIndex.servedBy):
   * kept on each connection (tls-arrival.ts) for the misdirected stage's 421.
   */
  servedBy: (servername: string | undefined) => string;
  /** Time allowed for the TLS handshake. */
  handshakeTimeoutMs: number;
  log: Logger;
  /** --proxy-protocol: a PROXY header is read before the TLS handshake. */
  proxyProtocol?: ProxyProtocolOptions;
  /** Versions, ciphers and curves (--tls-* flags, a Gateway listener's tls.options); absent: TLS 1.2+ with Node's defaults. */
  policy?: TlsPolicy;
  /**
   * Client certificates (mutual TLS): asked for in every handshake; `contextFor` must return
   * contexts made with the same CA bundle (security/tls-store.ts serverContext's clientCa).
   * Fixed for the server's life: requestCert and rejectUnauthorized are per server in Node, and a
   * new server also has new session ticket keys, so no session verified under another bundle resumes.
   */
  clientValidation?: ClientValidation | PerRoute;
}

/**
 * --tls-listen: each WebSocketRoute decides (spec.tls.clientValidation, checked by the admission
 * stage against the route's own bundle); the listener asks for a certificate while any route of
 * the table wants one (askForClientCertificates) and never fails a handshake over it.
 */
export const PER_ROUTE = 'per-route';
type PerRoute = typeof PER_ROUTE;

export class TlsListener {
  readonly tlsServer: tls.Server;
  private closed: Promise<void> | undefined;

  constructor(private readonly opts: TlsListenerOptions) {
    this.tlsServer = tls.createServer({
      // On the server, not on the per-SNI contexts: OpenSSL fixes versions, suites and groups
      // when the connection is made, before the SNI callback swaps in a certificate's context.
      ...secureOptions(opts.policy),
      ...clientCertificateOptions(opts.clientValidation),
      handshakeTimeout: opts.handshakeTimeoutMs,
      ALPNProtocols: offered(opts),
      SNICallback: (servername, cb) => {
        try {
          cb(null, opts.contextFor(servername));
        } catch (err) {
          cb(err as Error, undefined);
        }
      },
    });
    this.tlsServer.on('secureConnection', (socket: tls.TLSSocket) => {
      inheritProxiedPeer(socket);
      markArrival(socket, opts.servedBy, opts.clientValidation === PER_ROUTE);
      dropStaleVerifyError(socket, opts.log);
      if (socket.alpnProtocol === 'h2' && opts.h2Server) opts.h2Server.emit('connection', socket);
      else opts.server.emit('connection', socket);
    });
    this.tlsServer.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      opts.log.debug({ err: err.message, client: socket.remoteAddress }, 'TLS handshake failed');
      socket.destroy();
    });
    // Last: it wraps the TLS server's own connection listener.
    if (opts.proxyProtocol) requireProxyHeaders(this.tlsServer, opts.proxyProtocol);
  }

  /**
   * The certificate for clients that send no SNI, or a name no route covers (the default
   * certificate). Without one such handshakes fail.
   */
  setDefault(options: { cert: Buffer | string; key: Buffer | string } | undefined): void {
    // setSecureContext replaces the server's context: the policy goes with it.
    this.tlsServer.setSecureContext({ ...(options ?? {}), ...secureOptions(this.opts.policy), ...clientCa(this.opts.clientValidation) });
  }

  /**
   * PER_ROUTE only: whether handshakes from now on ask for a client certificate. Node reads the
   * server's requestCert and rejectUnauthorized for each connection it accepts (they are what
   * tls.createServer stored), so a table swap can change them; connections already made keep theirs.
   */
  askForClientCertificates(ask: boolean): void {
    if (this.opts.clientValidation !== PER_ROUTE) return;
    const server = this.tlsServer as tls.Server & { requestCert: boolean; rejectUnauthorized: boolean };
    server.requestCert = ask;
    server.rejectUnauthorized = false;
  }

  listen(host: string, port: number, reusePort = false): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.tlsServer.once('error', reject);
      this.tlsServer.listen({ host, port, ...(reusePort ? { reusePort } : {}) }, () => {
        this.tlsServer.off('error', reject);
        resolve(this.tlsServer.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting; connections already handed over belong to the HTTP server and end with it. */
  stopAccepting(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      if (!this.tlsServer.listening) return resolve();
      this.tlsServer.close(() => resolve());
    });
    return this.closed;
  }
}

/** The CA bundle client certificates must chain to (and no other: never the system roots). */
function clientCa(v: ClientValidation | PerRoute | undefined): { ca?: string } {
  // PER_ROUTE: the SNI contexts of the hosts carry their routes' bundles (proxy/sni-index.ts).
  return v && v !== PER_ROUTE ? { ca: v.caPem } : {};
}

/**
 * Server options for client certificates. AllowValidOnly: OpenSSL fails a handshake without a
 * certificate, and Node destroys the socket of one that does not verify before it is handed to
 * the HTTP server. AllowInsecureFallback: both go on, with socket.authorized false.
 */
function clientCertificateOptions(v: ClientValidation | PerRoute | undefined): tls.TlsOptions {
  if (v === PER_ROUTE) return { requestCert: false, rejectUnauthorized: false };
  if (!v) return {};
  return { requestCert: true, rejectUnauthorized: v.mode === 'AllowValidOnly', ...clientCa(v) };
}

/** The ALPN list offered: the policy's, without h2 when there is no HTTP/2 server to take it. */
function offered(opts: TlsListenerOptions): string[] {
  return alpnOf(opts.policy).filter((p) => p !== 'h2' || opts.h2Server !== undefined);
}
