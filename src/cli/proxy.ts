// `wsgate proxy`: split mode's data plane. It holds no cluster credentials and never calls the
// Kubernetes API: its tables (routes, the endpoints and the Secrets they need) arrive from the
// controller over the snapshot stream and go through the same compile and swap the worker
// threads use. Without a controller it keeps serving its last table.

import { createLogger } from '../logger.js';
import { SnapshotClient } from '../stream/client.js';
import { readStreamTls } from '../stream/tls-files.js';
import { tlsSuffix } from './security-flags.js';
import { processFromFlags, stopOnSignals, type DataPlaneFlags } from './serve.js';
import { RECONNECT_INITIAL_MS, type ProxyStreamFlags } from './stream-flags.js';

export interface ProxyCliOptions extends DataPlaneFlags, ProxyStreamFlags {}

export async function runProxy(opts: ProxyCliOptions): Promise<void> {
  const log = createLogger(opts.logLevel);
  // Fail at start, not on the first attempt, when the certificates are missing.
  readStreamTls(opts.snapshotTlsDir);
  const wsgate = processFromFlags(opts, log, 'proxy');
  const client = new SnapshotClient({
    host: opts.controller.host,
    port: opts.controller.port,
    ...(opts.controllerName ? { serverName: opts.controllerName } : {}),
    loadTls: () => readStreamTls(opts.snapshotTlsDir),
    log,
    onSnapshot: (snapshot) => wsgate.applySnapshot(snapshot),
    onConnected: (up) => wsgate.metrics.controllerConnected.set(up ? 1 : 0),
    silenceTimeoutMs: opts.controllerTimeout,
    backoff: { initialMs: RECONNECT_INITIAL_MS, maxMs: opts.reconnectMax },
  });
  wsgate.metrics.snapshotAgeSource = () => client.ageSeconds();
  // Listen first: probes answer (not ready) until the first table arrives.
  const bound = await wsgate.start(opts.listen, opts.adminListen);
  process.stdout.write(`wsgate listening proxy=${bound.proxy.host}:${bound.proxy.port} admin=${bound.admin.host}:${bound.admin.port}${tlsSuffix(bound)}\n`);
  client.start();
  stopOnSignals(log, () => {
    client.stop();
    return wsgate.shutdown(opts.shutdownGrace);
  });
}
