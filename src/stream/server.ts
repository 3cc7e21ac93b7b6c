// The controller's end of the snapshot stream: a mutual-TLS server every proxy keeps one
// connection to. Each table version is encoded once and the same frame is written to every proxy;
// a proxy whose socket is still busy with an older frame gets only the newest once it drains
// (no queue of every version in between). Every replica serves, leader or not.

import tls from 'node:tls';
import type net from 'node:net';
import { listen } from '../net/listen.js';
import type { Logger } from 'pino';
import type { TableSnapshot } from '../workers/snapshot.js';
import { encodeFrame, STREAM_PROTOCOL } from './codec.js';
import { dnsNames, type StreamTls } from './tls-files.js';

export interface SnapshotServerOptions {
  tls: StreamTls;
  /** The DNS name (subjectAltName) a client certificate must carry: the proxies' identity. */
  clientName: string;
  log: Logger;
  /** Interval of the heartbeat frames that tell a proxy its controller (and its table) is current. */
  heartbeatMs: number;
  /** The number of connected proxies changed. */
  onSubscribers?: (count: number) => void;
  /** A connection was refused: `handshake` (no certificate, another install's, bad TLS) or `identity` (not a proxy's). */
  onRefused?: (reason: 'handshake' | 'identity') => void;
}

/** The secure context of the stream: this install's CA for clients, TLS 1.3 only. */
function contextOptions(material: StreamTls): tls.SecureContextOptions {
  return { ca: material.ca, cert: material.cert, key: material.key, minVersion: 'TLSv1.3' };
}

/** Per proxy: the version last written, and whether its socket is still flushing a frame. */
interface Subscriber {
  sent: number;
  draining: boolean;
}

export class SnapshotServer {
  private readonly server: tls.Server;
  private readonly subscribers = new Map<tls.TLSSocket, Subscriber>();
  private latest: { version: number; frame: Buffer } | undefined;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly opts: SnapshotServerOptions) {
    this.server = tls.createServer({ ...contextOptions(opts.tls), requestCert: true, rejectUnauthorized: true }, (socket) => this.accept(socket));
    this.server.on('tlsClientError', (err, socket) => {
      opts.log.warn({ err: err.message, remote: socket.remoteAddress }, 'refused a snapshot stream: TLS handshake failed (no client certificate, or not one of this install)');
      opts.onRefused?.('handshake');
      socket.destroy();
    });
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  listen(host: string, port: number): Promise<net.AddressInfo> {
    return listen(this.server, host, port);
  }


  /**
   * New certificates (a renewed or regenerated pair, a new CA): new connections are served with
   * them; established streams keep theirs. Throws, keeping the current ones, on a key that does
   * not match its certificate or PEM that does not parse.
   */
  setTls(material: StreamTls): void {
    // setSecureContext keeps the server's requestCert/rejectUnauthorized; the TLS version floor is part of the context.
    this.server.setSecureContext(contextOptions(material));
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** A new table: encoded once here, then written to every proxy that is not still busy. */
  publish(snapshot: TableSnapshot): void {
    this.latest = { version: snapshot.version, frame: encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot }) };
    for (const [socket, sub] of this.subscribers) this.send(socket, sub);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.subscribers.keys()) socket.destroy();
    await closed;
  }

  private accept(socket: tls.TLSSocket): void {
    // The chain is this install's (rejectUnauthorized); the name says it is a proxy's and not,
    // say, a controller's own certificate.
    const names = dnsNames(socket.getPeerCertificate());
    if (!names.includes(this.opts.clientName)) {
      this.opts.log.warn({ names, remote: socket.remoteAddress }, `refused a snapshot stream: the client certificate does not name ${this.opts.clientName}`);
      this.opts.onRefused?.('identity');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const sub: Subscriber = { sent: 0, draining: false };
    this.subscribers.set(socket, sub);
    this.opts.onSubscribers?.(this.subscribers.size);
    this.opts.log.info({ remote: socket.remoteAddress, proxies: this.subscribers.size }, 'proxy connected to the snapshot stream');
    // Proxies send nothing; reading lets a close from their side be seen.
    socket.resume();
    socket.on('drain', () => {
      sub.draining = false;
      this.send(socket, sub);
    });
    socket.on('error', (err) => this.opts.log.debug({ err: err.message, remote: socket.remoteAddress }, 'snapshot stream error'));
    socket.once('close', () => {
      this.subscribers.delete(socket);
      this.opts.onSubscribers?.(this.subscribers.size);
      this.opts.log.info({ remote: socket.remoteAddress, proxies: this.subscribers.size }, 'proxy left the snapshot stream');
    });
    this.send(socket, sub);
  }

  private send(socket: tls.TLSSocket, sub: Subscriber): void {
    const latest = this.latest;
    if (!latest || sub.draining || sub.sent === latest.version) return;
    sub.sent = latest.version;
    if (!socket.write(latest.frame)) sub.draining = true;
  }

  /** One heartbeat frame per tick for every proxy that is not busy (a busy one is receiving a table). */
  private beat(): void {
    if (this.subscribers.size === 0) return;
    const frame = encodeFrame({ type: 'heartbeat', protocol: STREAM_PROTOCOL, version: this.latest?.version ?? 0 });
    for (const [socket, sub] of this.subscribers) if (!sub.draining && !socket.write(frame)) sub.draining = true;
  }
}
