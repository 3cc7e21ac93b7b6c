import { Gateway, type HostPort } from '../gateway.js';
import { createLogger } from '../logger.js';
import { FileRouteSource } from '../sources/file-source.js';

export interface StandaloneOptions {
  config: string;
  listen: HostPort;
  adminListen: HostPort;
  logLevel: string;
  maxHeaderSize: number;
  shutdownGrace: number;
  endpointMetrics: boolean;
}

export async function runStandalone(opts: StandaloneOptions): Promise<void> {
  const log = createLogger(opts.logLevel);
  const gateway = new Gateway({ logger: log, maxHeaderSize: opts.maxHeaderSize, endpointMetrics: opts.endpointMetrics });
  const source = new FileRouteSource(
    opts.config,
    {
      onRoutes: (routes) => {
        gateway.applyRoutes(routes);
        gateway.metrics.configReloads.inc({ result: 'success' });
      },
      onRejected: (problems) => {
        gateway.metrics.configReloads.inc({ result: 'failure' });
        log.error({ file: opts.config, problems: problems.length }, 'route file refused; the last good table keeps serving');
      },
    },
    log,
  );
  if (!source.start()) {
    source.stop();
    process.stderr.write(`wsgate: ${opts.config} has problems (see above); nothing to serve\n`);
    process.exitCode = 1;
    return;
  }
  const bound = await gateway.start(opts.listen, opts.adminListen);
  // One line on stdout that scripts and tests can wait for.
  process.stdout.write(`wsgate listening proxy=${bound.proxy.host}:${bound.proxy.port} admin=${bound.admin.host}:${bound.admin.port}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    source.stop();
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
