import os from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../controller/controller.js';
import { Gateway, type HostPort } from '../gateway.js';
import { createLogger } from '../logger.js';
import { gatewayApiOptions, type GatewayFlags } from './gateway-flags.js';
import { affinityKey, securityOptions, tlsSuffix, type SecurityFlags } from './security-flags.js';
import { overloadOptions, type OverloadFlags } from './overload-flags.js';

export interface ControllerCliOptions extends SecurityFlags, GatewayFlags, OverloadFlags {
  kubeconfig?: string;
  watchNamespaces: string[];
  listen: HostPort;
  adminListen: HostPort;
  logLevel: string;
  maxHeaderSize: number;
  shutdownGrace: number;
  endpointMetrics: boolean;
  workers: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDuration: number;
  leaseRetryPeriod: number;
  debounce: number;
  secretNamespaces?: string[];
  watchSecrets: boolean;
}

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export async function runController(opts: ControllerCliOptions): Promise<void> {
  const log = createLogger(opts.logLevel);
  const kc = loadKubeConfig(opts.kubeconfig);
  const gateway = new Gateway({
    logger: log,
    maxHeaderSize: opts.maxHeaderSize,
    endpointMetrics: opts.endpointMetrics,
    security: securityOptions(opts),
    affinityKey: affinityKey(opts),
    workers: opts.workers,
    logLevel: opts.logLevel,
    overload: overloadOptions(opts),
  });
  const identity = `${process.env.POD_NAME ?? os.hostname()}_${process.pid}`;
  // Listen first so probes answer (not ready) while discovery and the first sync run; Gateway
  // ports equal to the main listener's are served by it, so the controller needs the bound ports.
  const bound = await gateway.start(opts.listen, opts.adminListen);
  process.stdout.write(`wsgate listening proxy=${bound.proxy.host}:${bound.proxy.port} admin=${bound.admin.host}:${bound.admin.port}${tlsSuffix(bound)}\n`);
  const gatewayApi = await gatewayApiOptions(opts, kc, log);
  const controller = new Controller({
    kc,
    gateway,
    log,
    namespaces: opts.watchNamespaces,
    ...(opts.watchSecrets ? (opts.secretNamespaces ? { secretNamespaces: opts.secretNamespaces } : {}) : { secretNamespaces: [] }),
    debounceMs: opts.debounce,
    ...(gatewayApi
      ? { gatewayApi: { ...gatewayApi, main: { host: bound.proxy.host, port: bound.proxy.port, ...(bound.tls ? { tlsHost: bound.tls.host, tlsPort: bound.tls.port } : {}) } } }
      : {}),
    leaderElection: {
      enabled: opts.leaderElect,
      namespace: opts.leaderElectionNamespace,
      name: opts.leaderElectionId,
      identity,
      leaseDurationMs: opts.leaseDuration,
      retryPeriodMs: opts.leaseRetryPeriod,
    },
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // The API server may be gone: releasing the lease and last status writes get a bounded time.
    const controllerStopped = Promise.race([controller.stop(), new Promise<void>((r) => setTimeout(r, 5000).unref())]);
    Promise.all([controllerStopped, gateway.shutdown(opts.shutdownGrace)]).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await controller.start();
}
