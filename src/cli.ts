#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseHostPort } from './cli/host-port.js';
import { runStandalone } from './cli/standalone.js';
import { runValidate } from './cli/validate.js';
import { addGatewayFlags } from './cli/gateway-flags.js';
import { addSecurityFlags } from './cli/security-flags.js';
import { addControllerStreamFlags, addProxyStreamFlags } from './cli/stream-flags.js';
import { addOverloadFlags } from './cli/overload-flags.js';
import { addClassFlags } from './cli/class-flags.js';
import { addHostOwnershipFlags } from './cli/host-ownership-flags.js';
import { defaultWorkers } from './workers/cpus.js';
import { DEFAULT_MAX_HEADER_SIZE } from './api/defaults.js';

function hostPort(value: string) {
  try {
    return parseHostPort(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

/** --workers default: $WSGATE_WORKERS (the chart sets it from the CPU limit), else the CPUs this process may use. */
function defaultWorkerCount(): number {
  const env = process.env.WSGATE_WORKERS;
  if (env !== undefined && env.trim() !== '') {
    const n = Number(env);
    if (Number.isInteger(n) && n > 0) return n;
    process.stderr.write(`wsgate: WSGATE_WORKERS="${env}" is not a positive integer; using the CPU count\n`);
  }
  return defaultWorkers();
}

const WORKERS_HELP =
  'data-plane event loops: worker threads that each accept on the proxy port (reusePort, Linux) and share connection counts and limits; 1 = one thread (default: $WSGATE_WORKERS, else the CPUs the process may use: cgroup CPU quota, else the available CPUs)';

function csv(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

const program = new Command('wsgate')
  .description('WebSocket ingress: routes, balances and guards WebSocket upgrades')
  .showHelpAfterError();

/** The flags of every command that runs (or, with --no-proxy, describes) a data plane. */
function addDataPlaneFlags(cmd: Command): Command {
  return cmd
    .option('--listen <host:port>', 'proxy listener', hostPort, parseHostPort('0.0.0.0:8080'))
    .option('--admin-listen <host:port>', 'admin listener for /metrics, /healthz, /readyz', hostPort, parseHostPort('0.0.0.0:9090'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .option('--max-header-size <bytes>', 'largest upgrade request head accepted (431 above)', positiveInt, DEFAULT_MAX_HEADER_SIZE)
    .option('--shutdown-grace <ms>', 'on SIGTERM, time open connections get before a 1001 close (keep below terminationGracePeriodSeconds)', nonNegativeInt, 25000)
    .option('--no-endpoint-metrics', 'drop per-endpoint metric series (for very large fleets)')
    .option('--workers <n>', WORKERS_HELP, positiveInt, defaultWorkerCount());
}

const standalone = addDataPlaneFlags(
  program
    .command('standalone')
    .description('run the data plane from a route file, without a cluster; reloads the file on change')
    .requiredOption('--config <file>', 'YAML file of WebSocketRoute documents with static backend.endpoints'),
);
addHostOwnershipFlags(addClassFlags(addOverloadFlags(addSecurityFlags(standalone, 'standalone')))).action(async (opts) => {
  await runStandalone(opts);
});

const controller = addDataPlaneFlags(
  program
    .command('controller')
    .description('run in a cluster: watch WebSocketRoutes, Services and EndpointSlices and serve the routes (with --no-proxy: feed them to `wsgate proxy` processes)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: in-cluster config, then $KUBECONFIG / ~/.kube/config)')
    .option('--watch-namespaces <list>', 'comma-separated namespaces to watch (default: all)', csv, [])
    .option('--namespace <ns>', 'watch a single namespace (same as --watch-namespaces NS)'),
)
  .option('--no-leader-elect', 'write status without electing a leader (single replica only)')
  .option('--leader-election-namespace <ns>', 'namespace of the leader Lease', process.env.POD_NAMESPACE ?? 'default')
  .option('--leader-election-id <name>', 'name of the leader Lease', 'wsgate-leader')
  .option('--lease-duration <ms>', 'leader lease duration in milliseconds', positiveInt, 15000)
  .option('--lease-retry-period <ms>', 'leader renew/retry period in milliseconds', positiveInt, 3000)
  .option('--debounce <ms>', 'wait this long after a cluster change before recompiling', positiveInt, 50);
addHostOwnershipFlags(addClassFlags(addControllerStreamFlags(addOverloadFlags(addGatewayFlags(addSecurityFlags(controller, 'controller')))))).action(async (opts) => {
  if (opts.namespace) opts.watchNamespaces = [...opts.watchNamespaces, opts.namespace];
  // Loaded on demand: the Kubernetes client costs ~50 MiB that standalone mode never needs.
  const { runController } = await import('./cli/controller.js');
  await runController(opts);
});

const proxy = addDataPlaneFlags(
  program
    .command('proxy')
    .description('run the data plane of split mode: no cluster access; routing tables arrive from `wsgate controller --no-proxy` over mutual TLS'),
);
addProxyStreamFlags(addOverloadFlags(addSecurityFlags(proxy, 'proxy'))).action(async (opts) => {
  const { runProxy } = await import('./cli/proxy.js');
  await runProxy(opts);
});

program
  .command('validate')
  .description('check route files against the CRD schema and the semantic rules')
  .argument('<files...>', 'route files')
  .action((files: string[]) => {
    process.exitCode = runValidate(files);
  });

// Migration from ingress-nginx and Ocelot (issue 16). Loaded on demand, like the controller.
const { MAPPING_HELP } = await import('./convert/mapping.js');
program
  .command('convert')
  .description('convert ingress-nginx Ingresses or an Ocelot ocelot.json into WebSocketRoutes: YAML on standard output, a report of what was not converted on standard error')
  .argument('<files...>', 'input files; - reads standard input')
  .addOption(new Option('--from <format>', 'input format (default: guessed per file)').choices(['ingress-nginx', 'ocelot']))
  .option('--strict', 'exit 1 when anything was not converted')
  .option('--namespace <ns>', 'namespace of routes whose input names none (Ocelot routes, Ingresses without one)', (v: string) => {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || v.length > 63) throw new InvalidArgumentError(`"${v}" is not a namespace name`);
    return v;
  }, 'default')
  .addHelpText('after', MAPPING_HELP)
  .action(async (files: string[], opts) => {
    const { runConvert } = await import('./convert/cli.js');
    process.exitCode = runConvert(files, opts);
  });

await program.parseAsync(process.argv);
