// The data plane's stages, in the one order every entry point runs them (pipeline/runner.ts);
// a stage that names kinds or protocols is skipped for the others:
//
//   framing (plain, HTTP/1.1) -> shutting-down -> handshake (upgrade; HTTP/1.1 or extended
//   CONNECT) -> normalise -> misdirected (HTTPS listeners) -> overload
//   -> lookup -> cors (plain) -> gateway-filter -> methods (plain) -> endpoints -> admit
//   -> client-gone (plain) -> rewrite -> mirror (plain) -> exchange (choose per attempt,
//   respond to the answer) -> observe
//
// Refusals are observed by the runner's hook (stages/observe.ts); an exchange observes itself.

import type { Stage } from '../../pipeline/stage.js';
import { extendedConnectStage } from '../h2-websocket/handshake-stage.js';
import { admitStage } from './admit.js';
import { corsStage } from './cors.js';
import type { StageDeps } from './deps.js';
import { plainExchangeStage, upgradeExchangeStage } from './exchange.js';
import { framingStage } from './framing.js';
import { gatewayFilterStage } from './gateway-filter.js';
import { clientGoneStage, endpointsStage, handshakeStage, methodsStage, shuttingDownStage } from './guards.js';
import { lookupStage } from './lookup.js';
import { mirrorStage } from './mirror.js';
import { misdirectedStage } from './misdirected.js';
import { normaliseStage } from './normalise.js';
import { overloadStage } from './overload.js';
import { rewriteStage } from './rewrite.js';

export function dataPlaneStages(deps: StageDeps): Stage[] {
  return [
    framingStage(deps),
    shuttingDownStage(deps),
    handshakeStage,
    extendedConnectStage as Stage,
    normaliseStage(deps),
    misdirectedStage,
    ...(deps.overload ? [overloadStage(deps.overload)] : []),
    lookupStage(deps),
    corsStage as Stage,
    gatewayFilterStage(deps),
    methodsStage,
    endpointsStage,
    admitStage(deps.admission),
    clientGoneStage,
    rewriteStage,
    mirrorStage(deps),
    upgradeExchangeStage(deps),
    plainExchangeStage(deps),
  ];
}
