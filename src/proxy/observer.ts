import type { CompiledRoute } from '../routing/types.js';
import type { LiveConnection as ProxiedConnection } from './live-connection.js';

export type UpgradeResult =
  | 'ok'
  | 'bad_request'
  | 'no_route'
  | 'no_endpoints'
  | 'backend_error'
  | 'backend_rejected'
  | 'timeout'
  | 'client_gone'
  | 'shutting_down'
  // Refused by the route's security (src/security/guard.ts):
  | 'not_configured'
  | 'rate_limited'
  | 'forbidden'
  | 'unauthorized'
  | 'client_limit'
  | 'route_limit';

/** Lifecycle hooks of the data plane; metrics and access logs implement them. */
export interface ProxyObserver {
  upgrade(route: CompiledRoute | null, result: UpgradeResult, seconds: number): void;
  opened(conn: ProxiedConnection): void;
  closed(conn: ProxiedConnection): void;
  /** Passive health took an endpoint out of rotation after a failure. */
  ejected(route: CompiledRoute, endpointId: string): void;
}

export const noopObserver: ProxyObserver = {
  upgrade() {},
  opened() {},
  closed() {},
  ejected() {},
};
