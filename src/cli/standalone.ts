import { partitionByClass } from '../api/route-class.js';
import { routeKey } from '../api/types.js';
import { createLogger } from '../logger.js';
import { FileRouteSource } from '../sources/file-source.js';
import { SecretsDirSource } from '../sources/secrets-dir.js';
import { classSelection, type ClassFlags } from './class-flags.js';
import type { HostOwnershipFlags } from './host-ownership-flags.js';
import { tlsSuffix } from './security-flags.js';
import { processFromFlags, stopOnSignals, type DataPlaneFlags } from './serve.js';

export interface StandaloneOptions extends DataPlaneFlags, ClassFlags, HostOwnershipFlags {
  config: string;
  secretsDir?: string;
}

export async function runStandalone(opts: StandaloneOptions): Promise<void> {
  const log = createLogger(opts.logLevel);
  const wsgate = processFromFlags(opts, log, 'standalone', opts.hostOwnership);
  const classes = classSelection(opts);
  // Secrets first: the first table compiles with them. A change recompiles the last routes.
  const secrets = opts.secretsDir
    ? new SecretsDirSource(opts.secretsDir, log, () => {
        wsgate.setSecretResolver(secrets!.resolver());
        wsgate.reapply();
      })
    : undefined;
  if (secrets) {
    secrets.start();
    wsgate.setSecretResolver(secrets.resolver());
  }
  const source = new FileRouteSource(
    opts.config,
    {
      onRoutes: (routes) => {
        // The file may hold the routes of several installs: another class's are not a problem.
        const { ours, others } = partitionByClass(routes, classes);
        if (others.length) log.info({ className: classes.className, routes: others.map(routeKey) }, 'routes of another class left alone');
        wsgate.applyRoutes(ours);
      },
      onRejected: (problems) => {
        wsgate.metrics.configReloads.inc({ result: 'failure' });
        log.error({ file: opts.config, problems: problems.length }, 'route file refused; the last good table keeps serving');
      },
    },
    log,
  );
  if (!source.start()) {
    source.stop();
    secrets?.stop();
    await wsgate.stop(); // worker threads would keep the process alive
    process.stderr.write(`wsgate: ${opts.config} has problems (see above); nothing to serve\n`);
    process.exitCode = 1;
    return;
  }
  const bound = await wsgate.start(opts.listen, opts.adminListen);
  // One line on stdout that scripts and tests can wait for.
  process.stdout.write(`wsgate listening proxy=${bound.proxy.host}:${bound.proxy.port} admin=${bound.admin.host}:${bound.admin.port}${tlsSuffix(bound)}\n`);
  stopOnSignals(log, () => {
    source.stop();
    secrets?.stop();
    return wsgate.shutdown(opts.shutdownGrace);
  });
}
