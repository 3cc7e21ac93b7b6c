// The controller's Gateway API flags (their defaults live here and only here), and how
// --gateway-api=auto|on|off turns into the controller's GatewayApiOptions.

import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GatewayApiOptions } from '../controller/gateway-api.js';
import { parsePool } from '../controller/gateway-addresses.js';
import { discoverGatewayApi } from '../controller/gateway-resources.js';
import { CONTROLLER_NAME } from '../gatewayapi/types.js';

export type GatewayApiMode = 'auto' | 'on' | 'off';

export interface GatewayFlags {
  gatewayApi: GatewayApiMode;
  gatewayControllerName: string;
  gatewayAddress: string[];
  gatewayService?: { namespace: string; name: string };
  gatewayAddressPool?: string;
  gatewayPorts?: number[];
  gatewayServicePort?: number;
  gatewayServiceTlsPort?: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function namespacedName(value: string): { namespace: string; name: string } {
  const [namespace, name, rest] = value.split('/');
  if (rest !== undefined || !namespace || !name || !DNS_LABEL.test(namespace) || !DNS_LABEL.test(name)) {
    throw new InvalidArgumentError(`"${value}" is not NAMESPACE/NAME`);
  }
  return { namespace, name };
}

function pool(value: string): string {
  try {
    parsePool(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value.trim();
}

function port(value: string): number {
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port`);
  return n;
}

function ports(value: string): number[] {
  return value.split(',').map(port);
}

function address(value: string, previous: string[]): string[] {
  if (!value.trim()) throw new InvalidArgumentError('an address must not be empty');
  return [...previous, value.trim()];
}

export function addGatewayFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--gateway-api <mode>', 'Gateway API support (GatewayClass, Gateway, HTTPRoute, ReferenceGrant, WebSocketPolicy): auto = on when the apiserver serves gateway.networking.k8s.io/v1 (checked at start); off needs no RBAC for it')
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option('--gateway-controller-name <name>', 'GatewayClass spec.controllerName wsgate serves', CONTROLLER_NAME)
    .option('--gateway-address <ip|hostname>', 'address every Gateway reports in status.addresses (repeatable; default: those of --gateway-service)', address, [])
    .option('--gateway-service <namespace/name>', "wsgate's own Service: its load balancer ingress, else its cluster IP, is every Gateway's address", namespacedName)
    .addOption(
      new Option('--gateway-address-pool <cidr>', 'IPv4 or IPv6 CIDR: each Gateway gets its own address from it (bound by wsgate, for listener isolation between Gateways) instead of sharing wsgate\'s')
        .argParser(pool)
        .conflicts(['gatewayAddress', 'gatewayService']),
    )
    .option('--gateway-ports <list>', 'comma-separated listener ports wsgate accepts (others: PortUnavailable); default any', ports)
    .option('--gateway-service-port <port>', "the port of wsgate's Service that forwards to --listen: Gateway listeners on it are served by --listen", port)
    .option('--gateway-service-tls-port <port>', "the port of wsgate's Service that forwards to --tls-listen: HTTPS Gateway listeners on it are served by --tls-listen", port);
}

/** Discovery until the apiserver answers (it may still be starting), as the informers retry. */
async function discoverWithRetry(kc: KubeConfig, log: Logger): Promise<Awaited<ReturnType<typeof discoverGatewayApi>>> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 8000)) {
    try {
      return await discoverGatewayApi(kc);
    } catch (err) {
      log.warn({ err: String(err), retryInMs: delay }, 'API discovery failed; retrying');
      await sleep(delay);
    }
  }
}

/**
 * The controller's Gateway API options, or undefined when off (or auto and not served). `on`
 * with the CRDs missing is an error: the watches could never sync.
 */
export async function gatewayApiOptions(flags: GatewayFlags, kc: KubeConfig, log: Logger): Promise<Omit<GatewayApiOptions, 'classes'> | undefined> {
  if (flags.gatewayApi === 'off') return undefined;
  const served = await discoverWithRetry(kc, log);
  if (!served.core) {
    if (flags.gatewayApi === 'on') throw new Error('--gateway-api=on, but the apiserver does not serve gateway.networking.k8s.io/v1 GatewayClasses, Gateways and HTTPRoutes: install the Gateway API CRDs (crds/gateway-api/)');
    log.info('Gateway API CRDs not served: Gateway API support off (--gateway-api=auto)');
    return undefined;
  }
  log.info({ controllerName: flags.gatewayControllerName, pool: flags.gatewayAddressPool }, 'Gateway API support on');
  return {
    controllerName: flags.gatewayControllerName,
    addresses: flags.gatewayAddress,
    ...(flags.gatewayService ? { service: flags.gatewayService } : {}),
    ...(flags.gatewayAddressPool ? { pool: flags.gatewayAddressPool } : {}),
    ...(flags.gatewayPorts ? { ports: flags.gatewayPorts } : {}),
    ...(flags.gatewayServicePort !== undefined ? { servicePort: flags.gatewayServicePort } : {}),
    ...(flags.gatewayServiceTlsPort !== undefined ? { serviceTlsPort: flags.gatewayServiceTlsPort } : {}),
    served,
  };
}
