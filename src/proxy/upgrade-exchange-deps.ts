// What the backend exchange of an upgrade needs from the proxy: its own file so that the
// connector (upgrade-exchange.ts) and the handshake (backend-handshake.ts) both name it
// without importing each other.

import type { Logger } from 'pino';
import type { EndpointHealth } from '../balancer/health.js';
import type { EndpointLoad } from '../balancer/load.js';
import type { RequestContext } from '../pipeline/context.js';
import type { RoutingTable } from '../routing/table.js';
import type { ConnectionRegistry } from './connections.js';
import type { ProxyObserver } from './observer.js';

export interface UpgradeExchangeDeps {
  log: Logger;
  load: EndpointLoad;
  health: EndpointHealth;
  connections: ConnectionRegistry;
  observer: ProxyObserver;
  table: () => RoutingTable;
  /**
   * The respond stage on the backend's 101 head (status line to blank line, latin1): what to
   * write instead (Set-Cookie added, HTTPRoute response header modifiers applied), or the same
   * buffer when nothing changes.
   */
  respond: (ctx: RequestContext, head: Buffer) => Buffer | string;
}
