// UpgradeExchanges with nothing around them (no observer, no routing table, the 101 as is), for
// tests of the connect and handshake path alone.

import type { Logger } from 'pino';
import pino from 'pino';
import { EndpointHealth } from '../../src/balancer/health.js';
import type { EndpointLoad } from '../../src/balancer/load.js';
import type { ConnectionRegistry } from '../../src/proxy/connections.js';
import { noopObserver } from '../../src/proxy/observer.js';
import { UpgradeExchanges } from '../../src/proxy/upgrade-exchange.js';
import { RoutingTable } from '../../src/routing/table.js';

export function bareExchanges(load: EndpointLoad, connections: ConnectionRegistry, log: Logger = pino({ level: 'silent' })): UpgradeExchanges {
  return new UpgradeExchanges({
    log,
    load,
    health: new EndpointHealth(),
    connections,
    observer: noopObserver,
    table: () => RoutingTable.empty(),
    respond: (_ctx, head) => head,
  });
}
