// A DataPlane serving HTTPRoute entries on one Gateway socket ("gw-1", Gateway infra/gw port 80,
// on 127.0.0.1 port 0), from a table the real compiler makes: the setup of the data-plane tests
// of one HTTPRoute feature (CORS, mirrors, session persistence).

import { pino } from 'pino';
import type { GatewayRouteEntry } from '../../src/gatewayapi/model.js';
import { randomAffinityKey } from '../../src/balancer/affinity.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import { gatewayPortId } from '../../src/routing/gateway-types.js';
import type { SecretResolver, ServiceResolver } from '../../src/routing/types.js';
import { DataPlane, type SecurityOptions } from '../../src/workers/data-plane.js';

const noSecrets: SecretResolver = () => ({ ok: false, reason: 'SecretNotFound', message: 'none' });

/** Starts the plane with `entries` served (its metrics returned for the tests to read); stop it with `plane.stop()`. */
export async function startGatewayPlane(
  entries: GatewayRouteEntry[],
  resolveService: ServiceResolver,
  random?: () => number,
  security?: SecurityOptions,
  resolveSecret: SecretResolver = noSecrets,
): Promise<{ plane: DataPlane; port: number; metrics: Metrics }> {
  const metrics = new Metrics({ defaultMetrics: false });
  const plane = new DataPlane({
    logger: pino({ level: 'silent' }),
    metrics,
    affinityKey: randomAffinityKey(),
    ...(random ? { random } : {}),
    ...(security ? { security } : {}),
  });
  await plane.listen({ host: '127.0.0.1', port: 0 }, noSecrets);
  const socket = { key: 'gw-1', address: '127.0.0.1', port: 0, protocol: 'HTTP' as const, certificates: [] };
  const out = compile({ routes: [], resolveService, resolveSecret, version: 1, gateway: { entries, sockets: [socket], socketOf: { [gatewayPortId('infra', 'gw', 80)]: 'gw-1' } } });
  plane.setTable(out.table, resolveSecret);
  await plane.gatewaySocketsSynced();
  return { plane, port: plane.gatewaySocket('gw-1')!.port, metrics };
}
