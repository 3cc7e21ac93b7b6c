// choose endpoint: affinity, balancer, health (choose.ts). Run by the exchange, once per
// attempt, with the endpoints tried so far; the affinity outcome is observed once.

import type { RequestContext } from '../../pipeline/context.js';
import type { Endpoint } from '../../routing/types.js';
import type { StageDeps } from './deps.js';

export function chooseEndpoint(deps: StageDeps, ctx: RequestContext, tried: ReadonlySet<string>): Endpoint | undefined {
  const first = ctx.affinity === undefined;
  const endpoint = deps.chooser.choose(ctx, tried);
  if (first && ctx.affinity !== undefined) deps.observer.affinity(ctx.route!, ctx.affinity);
  ctx.endpoint = endpoint;
  return endpoint;
}
