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

export function connectBackend(endpoint: Endpoint, opts: ConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = opts.tls
      ? tls.connect({ ...opts.tls, host: endpoint.host, port: endpoint.port }).setNoDelay(true).setKeepAlive(true)
      : net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true, keepAlive: true });
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
