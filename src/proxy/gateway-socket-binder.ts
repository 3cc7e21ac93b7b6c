// The Gateway sockets of a data plane: on every table swap, the sockets the table lists
// (table.listeners) are opened when not open yet and those that left are closed. Closing only
// stops accepting: requests in flight finish, upgraded connections (WebSocket) are the proxy's
// and stay. Each socket has an HTTP server of its own with the proxy's stages whose requests
// carry the socket's key (WebSocketProxy.serverFor); an HTTPS socket terminates TLS with a
// certificate chosen by SNI among its listeners' and hands the connection to that server, as
// the main TLS listener does; clients without SNI get the socket's default certificate
// (defaultCertificate()), given to the TLS server as PEM since they never reach the SNI callback. A bind error (EADDRINUSE, EACCES, ...) is logged and counted,
// never fatal, and the socket is tried again on the next swap.

import type http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import { sameClientValidation } from '../api/client-validation.js';
import { mergePolicy, type TlsPolicy } from '../api/tls-policy.js';
import type { TableCertificate, TableListener } from '../routing/gateway-types.js';
import { requireProxyHeaders, type ProxyProtocolOptions } from './proxy-protocol-gate.js';
import { certificateIndex, defaultCertificate, type SniIndex } from './sni-index.js';
import { TlsListener } from './tls-listener.js';

export interface GatewaySocketBinderOptions {
  log: Logger;
  /** A server with the proxy's stages whose requests carry `key` (WebSocketProxy.serverFor). */
  serverFor(key: string): http.Server;
  /** The HTTP/2 server of an HTTPS socket, whose connections chose h2 by ALPN (WebSocketProxy.h2ServerFor). */
  h2ServerFor?(key: string): http2.Http2Server;
  /** The socket of `server` closed and its last connection ended: the proxy forgets it (WebSocketProxy.retireServer). */
  retire(server: http.Server): void;
  /** Slow clients on the new server (handshake-timeout.ts), and with --h2c h2c on an HTTP socket, as on the main one. */
  prepare?(server: http.Server, spec: TableListener): void;
  /** Time allowed for a TLS handshake. */
  tlsHandshakeTimeoutMs: number;
  /** Several data planes (worker threads) bind the same sockets; Linux balances between them. */
  reusePort?: boolean;
  /** --proxy-protocol: each socket reads a PROXY header first (before TLS on an HTTPS socket). */
  proxyProtocol?: ProxyProtocolOptions;
  /** The --tls-* policy: an HTTPS socket's own (its Gateway listener's tls.options) goes over it. */
  tlsPolicy?: TlsPolicy;
  /** A socket could not be bound (metrics). */
  onBindError?(listener: TableListener, code: string): void;
}

interface OpenSocket {
  readonly spec: TableListener;
  readonly http: http.Server;
  /** HTTPS: the TLS listener that accepts, and the certificates of the current table. */
  tls?: TlsListener;
  sni?: SniIndex;
  /** The PEM the TLS server's default context was last made of. */
  defaultPem?: TableCertificate['pem'];
  address: net.AddressInfo;
}

export class GatewaySocketBinder {
  /** Bind failures so far. */
  bindErrors = 0;
  private readonly open = new Map<string, OpenSocket>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: GatewaySocketBinderOptions) {}

  /**
   * Makes the open sockets those of `listeners` (one pass at a time, in call order). Resolves
   * when this pass is done; it never rejects.
   */
  sync(listeners: readonly TableListener[]): Promise<void> {
    this.queue = this.queue.then(() => this.apply(listeners));
    return this.queue;
  }

  /** Where a socket is bound (its port when the table asked for port 0), or undefined when it is not open. */
  address(key: string): net.AddressInfo | undefined {
    return this.open.get(key)?.address;
  }

  keys(): string[] {
    return [...this.open.keys()];
  }

  /** Stops accepting on every socket (shutdown); later syncs open nothing. */
  async stopAccepting(): Promise<void> {
    this.stopped = true;
    await this.sync([]);
  }

  private async apply(listeners: readonly TableListener[]): Promise<void> {
    const wanted = new Map(this.stopped ? [] : listeners.map((l) => [l.key, l]));
    for (const [key, socket] of this.open) {
      const next = wanted.get(key);
      if (next && sameSocket(socket.spec, next)) continue;
      // A socket that moved (address, port, protocol or TLS policy) is bound again below.
      this.open.delete(key);
      this.closeSocket(socket);
    }
    await Promise.all(
      [...wanted.values()].map(async (spec) => {
        const open = this.open.get(spec.key);
        if (open) {
          // Same socket: the certificates may have changed (new handshakes get the new ones).
          if (open.tls) setCertificates(open, spec);
          return;
        }
        const socket = await this.openSocket(spec);
        if (socket) this.open.set(spec.key, socket);
      }),
    );
  }

  private async openSocket(spec: TableListener): Promise<OpenSocket | undefined> {
    const server = this.opts.serverFor(spec.key);
    this.opts.prepare?.(server, spec);
    const socket: OpenSocket = { spec, http: server, address: { address: spec.address, family: '', port: spec.port } };
    if (spec.protocol === 'HTTPS') {
      socket.tls = new TlsListener({
        server,
        ...(this.opts.h2ServerFor ? { h2Server: this.opts.h2ServerFor(spec.key) } : {}),
        // The socket's certificates of the current table (apply() replaces them on a swap).
        contextFor: (servername) => socket.sni?.lookup(servername),
        servedBy: (servername) => socket.sni?.servedBy(servername) ?? '',
        handshakeTimeoutMs: this.opts.tlsHandshakeTimeoutMs,
        log: this.opts.log.child({ listener: spec.key }),
        ...(this.opts.proxyProtocol ? { proxyProtocol: this.opts.proxyProtocol } : {}),
        policy: mergePolicy(this.opts.tlsPolicy, spec.tlsPolicy),
        ...(spec.clientValidation ? { clientValidation: spec.clientValidation } : {}),
      });
      setCertificates(socket, spec);
    } else if (this.opts.proxyProtocol) {
      // The HTTP server listens itself: its connections read the header first.
      requireProxyHeaders(server, this.opts.proxyProtocol);
    }
    try {
      const reusePort = this.opts.reusePort === true;
      socket.address = socket.tls ? await socket.tls.listen(spec.address, spec.port, reusePort) : await listenOn(server, spec.address, spec.port, reusePort);
      this.opts.log.info({ listener: spec.key, address: socket.address.address, port: socket.address.port, protocol: spec.protocol }, 'Gateway socket listening');
      return socket;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
      this.bindErrors++;
      this.opts.onBindError?.(spec, code);
      this.opts.log.error(
        { listener: spec.key, address: `${spec.address}:${spec.port}`, code, err: (err as Error).message },
        'Gateway socket cannot be bound; retried with the next routing table',
      );
      this.opts.retire(server);
      // Never listened: this only ends its handshake-timeout sweep.
      server.close();
      return undefined;
    }
  }

  /**
   * Stops accepting at once (the port is free when this returns); idle keep-alive connections
   * close, requests in flight finish. Not awaited: close()'s callback waits for every connection
   * the socket accepted, upgraded ones included; until then shutdown() still reaches them.
   */
  private closeSocket(socket: OpenSocket): void {
    const { key } = socket.spec;
    this.opts.log.info({ listener: key, address: socket.address.address, port: socket.address.port }, 'Gateway socket closing: no new connections, open ones finish');
    const closed = () => {
      this.opts.retire(socket.http);
      this.opts.log.debug({ listener: key }, 'Gateway socket closed: its last connection ended');
    };
    if (socket.tls) {
      void socket.tls.stopAccepting().then(() => {
        // The HTTP server of a TLS socket never listened: close() now only ends its handshake sweep.
        socket.http.close();
        closed();
      });
      socket.http.closeIdleConnections();
    } else {
      socket.http.close(closed);
    }
  }
}

function sameSocket(a: TableListener, b: TableListener): boolean {
  // A new TLS policy needs a new server (versions and suites are fixed per server): bound again.
  // So does a new client validation: requestCert is per server, and a new server's session
  // ticket keys are new, so a session verified under the old CA bundle cannot be resumed.
  return (
    a.address === b.address &&
    a.port === b.port &&
    a.protocol === b.protocol &&
    JSON.stringify(a.tlsPolicy) === JSON.stringify(b.tlsPolicy) &&
    sameClientValidation(a.clientValidation, b.clientValidation)
  );
}

function contexts(spec: TableListener): Array<{ hostname: string; context: tls.SecureContext }> {
  return spec.certificates.map((c) => ({ hostname: c.hostname, context: c.tls.context }));
}

/** The certificates of `spec` for new handshakes on an HTTPS socket: by SNI, and the default for clients without SNI. */
function setCertificates(socket: OpenSocket, spec: TableListener): void {
  socket.sni = certificateIndex(contexts(spec));
  const pem = defaultCertificate(spec.certificates)?.pem;
  // A default context is built from PEM: only again when the default certificate changed.
  if (samePem(pem, socket.defaultPem)) return;
  socket.tls?.setDefault(pem);
  socket.defaultPem = pem;
}

function samePem(a: TableCertificate['pem'] | undefined, b: TableCertificate['pem'] | undefined): boolean {
  if (!a || !b) return a === b;
  return a === b || (a.cert.equals(b.cert) && a.key.equals(b.key));
}

function listenOn(server: net.Server, host: string, port: number, reusePort: boolean): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ...(reusePort ? { reusePort } : {}) }, () => {
      server.off('error', reject);
      resolve(server.address() as net.AddressInfo);
    });
  });
}
