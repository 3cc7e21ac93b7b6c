// Opens the TCP (or TLS) connection to a backend before the upgrade request is sent, so a
// refused or slow endpoint can be retried on another one while the client still waits.

import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
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

export function connectBackend(endpoint: Endpoint, opts: ConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = opts.tls
      ? tls.connect({ ...opts.tls, host: endpoint.host, port: endpoint.port })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    const ready = opts.tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(new BackendConnectError('timeout', endpoint));
    }, opts.timeoutMs);
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(new BackendConnectError('refused', endpoint, err));
    };
    const onReady = () => {
      cleanup();
      resolve(socket);
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off(ready, onReady);
    };
    socket.once('error', onError);
    socket.once(ready, onReady);
  });
}

/**
 * An agent that hands http-proxy-3 the socket we already connected. One per upgrade: after
 * the 101 the socket belongs to the piped connection, never to a pool.
 */
export class ConnectedSocketAgent extends http.Agent {
  constructor(private readonly socket: net.Socket) {
    super({ keepAlive: false, maxSockets: 1 });
  }

  override createConnection(): net.Socket {
    return this.socket;
  }
}
