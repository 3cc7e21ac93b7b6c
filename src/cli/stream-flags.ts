// The flags of split mode's snapshot stream (their defaults live here and only here): the
// controller's side (`controller --no-proxy`) and the proxy's (`proxy`).

import { InvalidArgumentError, type Command } from 'commander';
import type { HostPort } from '../process.js';
import { parseHostPort } from './host-port.js';
import { durationMs } from './security-flags.js';

function hostPort(value: string): HostPort {
  try {
    return parseHostPort(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const TLS_DIR_HELP = 'directory with ca.crt, tls.crt and tls.key (a kubernetes.io/tls Secret with its CA) for the mutual-TLS snapshot stream';
/** The name a proxy's client certificate carries; the chart issues it. */
const PROXY_NAME = 'wsgate-proxy';

export function addControllerStreamFlags(cmd: Command): Command {
  return cmd
    .option('--no-proxy', 'split mode: open no proxy listener; serve every table to `wsgate proxy` processes over --snapshot-listen (--listen and --tls-listen then name the proxies\' listeners)')
    .option('--snapshot-listen <host:port>', 'with --no-proxy: the snapshot stream listener', hostPort, parseHostPort('0.0.0.0:9443'))
    .option('--snapshot-tls-dir <dir>', `with --no-proxy: ${TLS_DIR_HELP}`)
    .option('--snapshot-client-name <name>', 'with --no-proxy: the DNS name (subjectAltName) a proxy\'s client certificate must carry', PROXY_NAME)
    .option('--snapshot-heartbeat <duration>', 'with --no-proxy: interval of the heartbeats that confirm a proxy\'s table is current', durationMs, 5000);
}

export function addProxyStreamFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--controller <host:port>', 'the controller Service\'s snapshot stream (`controller --no-proxy --snapshot-listen`)', hostPort)
    .requiredOption('--snapshot-tls-dir <dir>', TLS_DIR_HELP)
    .option('--controller-name <name>', 'the name the controller\'s certificate must carry (default: the host of --controller)')
    .option('--controller-timeout <duration>', 'a controller silent this long (no table, no heartbeat) is dropped and reconnected; keep above its --snapshot-heartbeat', durationMs, 15000)
    .option('--reconnect-max <duration>', 'longest wait between reconnection attempts (exponential from 250ms, with jitter)', durationMs, 30000);
}

export interface ControllerStreamFlags {
  proxy: boolean;
  snapshotListen: HostPort;
  snapshotTlsDir?: string;
  snapshotClientName: string;
  snapshotHeartbeat: number;
}

export interface ProxyStreamFlags {
  controller: HostPort;
  snapshotTlsDir: string;
  controllerName?: string;
  controllerTimeout: number;
  reconnectMax: number;
}

/** The first reconnection delay (doubled per failed attempt up to --reconnect-max). */
export const RECONNECT_INITIAL_MS = 250;
