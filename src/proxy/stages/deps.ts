// What the data plane's stages read of the proxy: its state and its parts, passed in once when
// the stage list is built (stages/index.ts), never looked up in module state.

import type { Logger } from 'pino';
import type { EndpointHealth } from '../../balancer/health.js';
import type { Admission } from '../../pipeline/context.js';
import type { PathOptions } from '../../routing/request-target.js';
import type { RoutingTable } from '../../routing/table.js';
import type { BackendAgents } from '../agents.js';
import type { EndpointChooser } from '../choose.js';
import type { HttpExchanges } from '../http-exchange.js';
import type { ProxyObserver } from '../observer.js';
import type { OverloadGate } from '../overload-gate.js';
import type { UpgradeExchanges } from '../upgrade-exchange.js';

export interface StageDeps {
  readonly log: Logger;
  readonly observer: ProxyObserver;
  readonly admission: Admission;
  readonly paths: PathOptions;
  readonly chooser: EndpointChooser;
  readonly health: EndpointHealth;
  readonly overload: OverloadGate | undefined;
  readonly upgrades: UpgradeExchanges;
  readonly plain: HttpExchanges;
  /** The keep-alive agents per endpoint (request mirrors use them too). */
  readonly agents: BackendAgents;
  readonly maxAttempts: number;
  /** Random source of the weighted backendRef choice of HTTPRoute entries. */
  readonly random: () => number;
  /** The routing snapshot now (replaced atomically by setTable). */
  table(): RoutingTable;
  shuttingDown(): boolean;
}
