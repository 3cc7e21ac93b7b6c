import { Gateway, type HostPort } from '../gateway.js';
import { createLogger } from '../logger.js';
import { FileRouteSource } from '../sources/file-source.js';
import { SecretsDirSource } from '../sources/secrets-dir.js';
import { affinityKey, securityOptions, tlsSuffix, type SecurityFlags } from './security-flags.js';
import { overloadOptions, type OverloadFlags } from './overload-flags.js';

export interface StandaloneOptions extends SecurityFlags, OverloadFlags {
  config: string;
  listen: HostPort;
  adminListen: HostPort;
  logLevel: string;
  maxHeaderSize: number;
  shutdownGrace: number;
  endpointMetrics: boolean;
  workers: number;
  secretsDir?: string;
}

export async function runStandalone(opts: StandaloneOptions): Promise<void> {
  const log = createLogger(opts.logLevel);
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
  // Secrets first: the first table compiles with them. A change recompiles the last routes.
  const secrets = opts.secretsDir
    ? new SecretsDirSource(opts.secretsDir, log, () => {
        gateway.setSecretResolver(secrets!.resolver());
        gateway.reapply();
      })
    : undefined;
  if (secrets) {
    secrets.start();
    gateway.setSecretResolver(secrets.resolver());
  }
  const source = new FileRouteSource(
    opts.config,
    {
      onRoutes: (routes) => gateway.applyRoutes(routes),
      onRejected: (problems) => {
        gateway.metrics.configReloads.inc({ result: 'failure' });
        log.error({ file: opts.config, problems: problems.length }, 'route file refused; the last good table keeps serving');
      },
    },
    log,
  );
  if (!source.start()) {
    source.stop();
    secrets?.stop();
    await gateway.stop(); // worker threads would keep the process alive
    process.stderr.write(`wsgate: ${opts.config} has problems (see above); nothing to serve\n`);
    process.exitCode = 1;
    return;
  }
  const bound = await gateway.start(opts.listen, opts.adminListen);
  // One line on stdout that scripts and tests can wait for.
  process.stdout.write(`wsgate listening proxy=${bound.proxy.host}:${bound.proxy.port} admin=${bound.admin.host}:${bound.admin.port}${tlsSuffix(bound)}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    source.stop();
    secrets?.stop();
    gateway.shutdown(opts.shutdownGrace).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
