// The proxy's end of the snapshot stream: one mutual-TLS connection to the controller Service,
// kept open for the process's life. Each snapshot frame goes to `onSnapshot` (the same path the
// worker threads' tables take); heartbeats confirm the table is still the controller's newest.
// Without a controller the proxy keeps its last table and reconnects with backoff and jitter.

import tls from 'node:tls';
import net from 'node:net';
import type { Logger } from 'pino';
import type { TableSnapshot } from '../workers/snapshot.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { decodeMessage, FrameReader } from './codec.js';
import type { StreamTls } from './tls-files.js';

export interface SnapshotClientOptions {
  host: string;
  port: number;
  /** The DNS name the controller's certificate must carry (default: `host`). */
  serverName?: string;
  /** The certificates, read before each attempt (rotated files are picked up). */
  loadTls: () => StreamTls;
  log: Logger;
  /** A table arrived; throwing keeps the previous one (logged). */
  onSnapshot: (snapshot: TableSnapshot) => void;
  /** The stream came up (true) or went down (false). */
  onConnected?: (connected: boolean) => void;
  /** No byte from the controller for this long (heartbeats included): the connection is dropped. */
  silenceTimeoutMs: number;
  backoff: BackoffOptions;
}

type State = 'idle' | 'connecting' | 'streaming' | 'waiting' | 'stopped';

export class SnapshotClient {
  private state: State = 'idle';
  private socket: tls.TLSSocket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private version = 0;
  /** When a controller last said the table this proxy serves is its newest (ms since epoch). */
  private confirmed: number | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: SnapshotClientOptions) {
    this.backoff = new Backoff(opts.backoff);
  }

  get connected(): boolean {
    return this.state === 'streaming';
  }

  /**
   * Seconds since a controller last confirmed this proxy's table (a snapshot or a heartbeat
   * naming its version); before the first table, seconds since start.
   */
  ageSeconds(now = Date.now()): number {
    return (now - (this.confirmed ?? this.startedAt)) / 1000;
  }

  /** When a controller last confirmed this proxy's table (ms since epoch); undefined before the first. */
  get confirmedAt(): number | undefined {
    return this.confirmed;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.connect();
  }

  stop(): void {
    this.state = 'stopped';
    clearTimeout(this.retry);
    clearTimeout(this.watchdog);
    this.socket?.destroy();
  }

  private connect(): void {
    this.state = 'connecting';
    let creds: StreamTls;
    try {
      creds = this.opts.loadTls();
    } catch (err) {
      this.opts.log.error({ err: (err as Error).message }, 'cannot read the snapshot stream certificates');
      this.scheduleRetry();
      return;
    }
    const serverName = this.opts.serverName ?? this.opts.host;
    const socket = tls.connect({
      host: this.opts.host,
      port: this.opts.port,
      ...(net.isIP(serverName) ? {} : { servername: serverName }),
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      minVersion: 'TLSv1.3',
      // The chain must be this install's CA, and the certificate the controller's by name: a
      // proxy's own certificate (same CA) cannot pose as a controller.
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(serverName, cert),
    });
    this.socket = socket;
    const reader = new FrameReader();
    this.arm(socket);
    socket.once('secureConnect', () => {
      if (this.state !== 'connecting') return;
      this.state = 'streaming';
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 10_000);
      this.opts.log.info({ controller: `${this.opts.host}:${this.opts.port}` }, 'connected to the controller');
      this.opts.onConnected?.(true);
    });
    socket.on('data', (chunk: Buffer) => {
      this.arm(socket);
      try {
        for (const body of reader.push(chunk)) this.receive(body);
      } catch (err) {
        this.opts.log.error({ err: (err as Error).message }, 'bad frame on the snapshot stream; reconnecting');
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.opts.log.warn({ err: err.message, controller: `${this.opts.host}:${this.opts.port}` }, 'snapshot stream failed'));
    socket.once('close', () => {
      clearTimeout(this.watchdog);
      if (this.socket !== socket) return;
      this.socket = undefined;
      const was = this.state;
      if (was === 'stopped') return;
      if (was === 'streaming') {
        this.opts.log.warn({ version: this.version }, 'lost the controller; serving the last table');
        this.opts.onConnected?.(false);
      }
      this.scheduleRetry();
    });
  }

  private receive(body: Buffer): void {
    const m = decodeMessage(body);
    if (m.type === 'heartbeat') {
      if (m.version === this.version && this.version > 0) this.confirmed = Date.now();
      return;
    }
    try {
      this.opts.onSnapshot(m.snapshot);
    } catch (err) {
      this.opts.log.error({ err, version: m.snapshot.version }, 'could not apply a snapshot; the last table keeps serving');
      return;
    }
    this.version = m.snapshot.version;
    this.confirmed = Date.now();
    // A stream that delivered a table is a success: the next loss starts from a short delay.
    this.backoff.reset();
  }

  /** Drops a connection (or an attempt) the controller has been silent on for too long. */
  private arm(socket: tls.TLSSocket): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.opts.log.warn({ silenceMs: this.opts.silenceTimeoutMs }, 'the controller has been silent too long; reconnecting');
      socket.destroy();
    }, this.opts.silenceTimeoutMs);
    this.watchdog.unref();
  }

  private scheduleRetry(): void {
    this.state = 'waiting';
    const delay = this.backoff.next();
    this.opts.log.debug({ delayMs: delay }, 'reconnecting to the controller');
    this.retry = setTimeout(() => this.connect(), delay);
  }
}
