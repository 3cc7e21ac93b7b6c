import type { CompiledRoute } from '../routing/types.js';
import type { ProxiedConnection } from './connections.js';

export type UpgradeResult =
  | 'ok'
  | 'bad_request'
  | 'no_route'
  | 'no_endpoints'
  | 'backend_error'
  | 'backend_rejected'
  | 'timeout'
  | 'client_gone';

/** Lifecycle hooks of the data plane; metrics and access logs implement them. */
export interface ProxyObserver {
  upgrade(route: CompiledRoute | null, result: UpgradeResult, seconds: number): void;
  opened(conn: ProxiedConnection): void;
  closed(conn: ProxiedConnection): void;
}

export const noopObserver: ProxyObserver = {
  upgrade() {},
  opened() {},
  closed() {},
};
