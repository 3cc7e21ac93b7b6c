// exchange: the request goes to a backend and the stage takes it over; the exchange answers the
// client through the responder. Upgrades: wsgate's own HTTP/1.1 upgrade on a pre-connected
// backend socket (upgrade-exchange.ts); plain requests: http-proxy-3's web() on pooled agents
// (http-exchange.ts). Both choose (stages/choose.ts) per attempt and respond (stages/respond.ts)
// to the backend's answer.

import type { RequestResponder, UpgradeResponder } from '../../pipeline/responder.js';
import { TAKEN, type Stage, type StageOutcome } from '../../pipeline/stage.js';
import type { CompiledRoute } from '../../routing/types.js';
import { chooseEndpoint } from './choose.js';
import type { StageDeps } from './deps.js';
import { respondToHeaders } from './respond.js';

export function upgradeExchangeStage(deps: StageDeps): Stage<UpgradeResponder> {
  return {
    name: 'exchange',
    kinds: ['upgrade'],
    // Synchronous: the exchange answers the client through its callbacks (no promise per upgrade).
    run: (ctx, responder): StageOutcome => {
      deps.upgrades.run(ctx, responder.client, responder.head, (tried) => chooseEndpoint(deps, ctx, tried), deps.maxAttempts, responder);
      return TAKEN;
    },
  };
}

export function plainExchangeStage(deps: StageDeps): Stage<RequestResponder> {
  return {
    name: 'exchange',
    kinds: ['http'],
    run: (ctx, responder) => {
      const route = ctx.route!;
      const gw = route.gateway;
      deps.plain.run(
        ctx,
        ctx.framing,
        responder.res,
        {
          choose: (tried) => chooseEndpoint(deps, ctx, tried),
          response: (endpoint, head) => {
            respondToHeaders(deps.chooser, ctx, head.headers);
            // Backend 5xx count for passive health as failed handshakes do; anything else is a sign of life.
            if ((head.statusCode ?? 0) >= 500) eject(deps, route, endpoint.id, `answered ${head.statusCode}`);
            else deps.health.succeed(endpoint.id);
          },
          failed: (endpoint, failure, err, retrying) => {
            if (failure === 'refused' || failure === 'connect_timeout') eject(deps, route, endpoint.id, failure);
            deps.log.warn({ route: route.key, endpoint: endpoint.id, failure, err: String(err), retrying, requestId: ctx.requestId }, 'plain request to backend failed');
          },
          retried: (endpoint, reason, status) => {
            // A dropped 5xx counts for passive health as one relayed would.
            if (status !== undefined && status >= 500) eject(deps, route, endpoint.id, `answered ${status}`);
            deps.observer.httpRetry(route, reason);
          },
        },
        deps.maxAttempts,
        gw ? { requestMs: gw.requestTimeoutMs, backendRequestMs: gw.backendRequestTimeoutMs } : {},
        gw?.retry ?? route.http?.retry,
      );
      return TAKEN;
    },
  };
}

function eject(deps: StageDeps, route: CompiledRoute, endpointId: string, why: string): void {
  const ejectedMs = deps.health.fail(endpointId);
  deps.observer.ejected(route, endpointId);
  deps.log.warn({ route: route.key, endpoint: endpointId, reason: why, ejectedMs }, 'endpoint ejected');
}
