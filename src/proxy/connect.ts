// Opens the TCP (or TLS) connection to a backend before the upgrade request is sent, so a
// refused or slow endpoint can be retried on another one while the client still waits.

import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../routing/types.js';

export type ConnectFailure = 'refused' | 'timeout';

export class BackendConnectError extends Error {
  constructor(
    readonly kind: ConnectFailure,
    readonly endpoint: Endpoint,
    cause?: Error,
  ) {
    super(`${kind} connecting to ${endpoint.id}${cause ? `: ${cause.message}` : ''}`, { cause });
  }
}

export interface ConnectOptions {
  timeoutMs: number;
  tls?: tls.ConnectionOptions;
}

/** Called once: with the connected socket, or with why there is none (the socket destroyed). */
export type ConnectDone = (err: BackendConnectError | undefined, socket: net.Socket | undefined) => void;

/**
 * Connects and calls `done` once. A callback, not a promise: the upgrade exchange needs no
 * promise around it (issue 27: a promise, its closures and the awaits after it per upgrade).
 */
export function connectBackend(endpoint: Endpoint, opts: ConnectOptions, done: ConnectDone): void {
  new PendingConnect(endpoint, opts, done);
}

/** One connect attempt: its listeners and timeout are methods of this one object, not closures. */
class PendingConnect {
  private readonly socket: net.Socket;
  private readonly ready: 'secureConnect' | 'connect';
  private readonly timer: NodeJS.Timeout;
  private readonly onError = (err: Error): void => this.fail('refused', err);
  private readonly onReady = (): void => {
    this.cleanup();
    this.done(undefined, this.socket);
  };

  constructor(
    private readonly endpoint: Endpoint,
    opts: ConnectOptions,
    private readonly done: ConnectDone,
  ) {
    this.socket = opts.tls
      ? tls.connect({ ...opts.tls, host: endpoint.host, port: endpoint.port }).setNoDelay(true).setKeepAlive(true)
      : net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true, keepAlive: true });
    this.ready = opts.tls ? 'secureConnect' : 'connect';
    this.timer = setTimeout(() => this.fail('timeout'), opts.timeoutMs);
    this.socket.once('error', this.onError);
    this.socket.once(this.ready, this.onReady);
  }

  private fail(kind: ConnectFailure, cause?: Error): void {
    this.cleanup();
    this.socket.destroy();
    this.done(new BackendConnectError(kind, this.endpoint, cause), undefined);
  }

  private cleanup(): void {
    clearTimeout(this.timer);
    this.socket.off('error', this.onError);
    this.socket.off(this.ready, this.onReady);
  }
}
