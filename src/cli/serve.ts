// What every serving command does alike: the WsgateProcess from the data-plane and security flags,
// and the graceful stop on SIGTERM / SIGINT.

import type { Logger } from 'pino';
import { WsgateProcess, type HostPort } from '../process.js';
import { securityOptions, type SecurityFlags } from './security-flags.js';
import { overloadOptions, type OverloadFlags } from './overload-flags.js';
import type { HostOwnership } from '../api/types.js';

export interface DataPlaneFlags extends SecurityFlags, OverloadFlags {
  listen: HostPort;
  adminListen: HostPort;
  logLevel: string;
  maxHeaderSize: number;
  shutdownGrace: number;
  endpointMetrics: boolean;
  workers: number;
}

/** `hostOwnership`: for the commands that compile from a source; a proxy gets it in its snapshots. */
export function processFromFlags(opts: DataPlaneFlags, log: Logger, role: 'standalone' | 'controller' | 'proxy', hostOwnership?: HostOwnership): WsgateProcess {
  return new WsgateProcess({
    logger: log,
    maxHeaderSize: opts.maxHeaderSize,
    endpointMetrics: opts.endpointMetrics,
    security: securityOptions(opts),
    ...(opts.affinityKeyFile !== undefined ? { affinityKeyFile: opts.affinityKeyFile } : {}),
    affinityKeyGraceMs: opts.affinityKeyGrace,
    workers: opts.workers,
    logLevel: opts.logLevel,
    role,
    overload: overloadOptions(opts),
    ...(hostOwnership ? { hostOwnership } : {}),
  });
}

/** On the first SIGTERM or SIGINT runs `stop`, then exits 0 (1 if it failed). */
export function stopOnSignals(log: Logger, stop: () => Promise<unknown>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
