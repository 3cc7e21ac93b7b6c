import os from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ControlPlane } from '../control-plane.js';
import { AffinityKeySecret } from '../controller/affinity-key-secret.js';
import { Controller, type TableSink } from '../controller/controller.js';
import type { MainSockets } from '../controller/gateway-socket-plan.js';
import { readStreamTls } from '../stream/tls-files.js';
import { createLogger } from '../logger.js';
import { classSelection, type ClassFlags } from './class-flags.js';
import { gatewayApiOptions, type GatewayFlags } from './gateway-flags.js';
import type { HostOwnershipFlags } from './host-ownership-flags.js';
import { securityOptions, tlsSuffix } from './security-flags.js';
import { processFromFlags, stopOnSignals, type DataPlaneFlags } from './serve.js';
import type { ControllerStreamFlags } from './stream-flags.js';

export interface ControllerCliOptions extends DataPlaneFlags, GatewayFlags, ControllerStreamFlags, ClassFlags, HostOwnershipFlags {
  kubeconfig?: string;
  watchNamespaces: string[];
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDuration: number;
  leaseRetryPeriod: number;
  debounce: number;
  secretNamespaces?: string[];
  watchSecrets: boolean;
  affinityKeySecret?: { namespace: string; name: string };
  affinityKeyCreate: boolean;
}

function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export async function runController(opts: ControllerCliOptions): Promise<void> {
  const log = createLogger(opts.logLevel);
  if (opts.affinityKeySecret && opts.affinityKeyFile !== undefined) throw new Error('--affinity-key-secret and --affinity-key-file exclude each other');
  if (opts.affinityKeyCreate && !opts.affinityKeySecret) throw new Error('--affinity-key-create needs --affinity-key-secret');
  const kc = loadKubeConfig(opts.kubeconfig);
  if (!opts.proxy) {
    await runSplitController(opts, kc, log);
    return;
  }
  const wsgate = processFromFlags(opts, log, 'controller', opts.hostOwnership);
  // Listen first so probes answer (not ready) while discovery and the first sync run; Gateway
  // ports equal to the main listener's are served by it, so the controller needs the bound ports.
  const bound = await wsgate.start(opts.listen, opts.adminListen);
  process.stdout.write(`wsgate listening proxy=${bound.proxy.host}:${bound.proxy.port} admin=${bound.admin.host}:${bound.admin.port}${tlsSuffix(bound)}\n`);
  const main = { host: bound.proxy.host, port: bound.proxy.port, ...(bound.tls ? { tlsHost: bound.tls.host, tlsPort: bound.tls.port } : {}) };
  await runWith(opts, kc, log, wsgate, main, (graceMs) => wsgate.shutdown(graceMs), (key) => wsgate.setAffinityKey(key, 'secret'));
}

/**
 * `--no-proxy`: no proxy listener; tables go to the proxies over the snapshot stream. Closing
 * this process closes no client connection, so it stops at once (no grace period).
 */
async function runSplitController(opts: ControllerCliOptions, kc: KubeConfig, log: Logger): Promise<void> {
  if (!opts.snapshotTlsDir) throw new Error('--no-proxy needs --snapshot-tls-dir (the certificates of the snapshot stream)');
  const plane = new ControlPlane({
    logger: log,
    security: securityOptions(opts),
    stream: { tls: readStreamTls(opts.snapshotTlsDir), tlsDir: opts.snapshotTlsDir, clientName: opts.snapshotClientName, heartbeatMs: opts.snapshotHeartbeat },
    hostOwnership: opts.hostOwnership,
  });
  const bound = await plane.start(opts.snapshotListen, opts.adminListen);
  process.stdout.write(`wsgate listening snapshots=${bound.stream.host}:${bound.stream.port} admin=${bound.admin.host}:${bound.admin.port}\n`);
  // The proxies' listeners, as their flags say (the chart passes both the same values).
  const main = { host: opts.listen.host, port: opts.listen.port, ...(opts.tlsListen ? { tlsHost: opts.tlsListen.host, tlsPort: opts.tlsListen.port } : {}) };
  await runWith(opts, kc, log, plane, main, () => plane.stop(), (key) => plane.setAffinityKey(key));
}

async function runWith(
  opts: ControllerCliOptions,
  kc: KubeConfig,
  log: Logger,
  sink: TableSink,
  main: MainSockets,
  shutdown: (graceMs: number) => Promise<void>,
  onAffinityKey: (key: Buffer) => void,
): Promise<void> {
  // The key before the first table: the first cookies are already signed with it.
  const affinityKey = opts.affinityKeySecret
    ? new AffinityKeySecret({ kc, ...opts.affinityKeySecret, create: opts.affinityKeyCreate, log, onKey: onAffinityKey, onError: () => sink.metrics.watchErrors.inc() })
    : undefined;
  await affinityKey?.start();
  const identity = `${process.env.POD_NAME ?? os.hostname()}_${process.pid}`;
  const gatewayApi = await gatewayApiOptions(opts, kc, log);
  log.info({ className: opts.class, defaultClass: opts.defaultClass, hostOwnership: opts.hostOwnership }, 'serving routes of this class');
  const controller = new Controller({
    kc,
    sink,
    log,
    namespaces: opts.watchNamespaces,
    ...(opts.watchSecrets ? (opts.secretNamespaces ? { secretNamespaces: opts.secretNamespaces } : {}) : { secretNamespaces: [] }),
    debounceMs: opts.debounce,
    classes: classSelection(opts),
    ...(gatewayApi ? { gatewayApi: { ...gatewayApi, main } } : {}),
    leaderElection: {
      enabled: opts.leaderElect,
      namespace: opts.leaderElectionNamespace,
      name: opts.leaderElectionId,
      identity,
      leaseDurationMs: opts.leaseDuration,
      retryPeriodMs: opts.leaseRetryPeriod,
    },
  });
  // The API server may be gone: releasing the lease and last status writes get a bounded time.
  stopOnSignals(log, () => Promise.all([Promise.race([controller.stop(), new Promise<void>((r) => setTimeout(r, 5000).unref())]), affinityKey?.stop(), shutdown(opts.shutdownGrace)]));
  await controller.start();
}
