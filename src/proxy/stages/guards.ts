// The short stages: each refuses or lets the request go on in a line or two.

import type { Stage } from '../../pipeline/stage.js';
import { TAKEN } from '../../pipeline/stage.js';
import { checkHandshake } from '../client-handshake.js';
import { plainRefusal } from '../respond.js';
import type { StageDeps } from './deps.js';

/** shutting-down: nothing new is taken once shutdown began. */
export function shuttingDownStage(deps: StageDeps): Stage {
  return {
    name: 'shutting-down',
    run: () => (deps.shuttingDown() ? { result: 'shutting_down', status: 503, message: 'proxy is shutting down', headers: { Connection: 'close' } } : undefined),
  };
}

/** handshake: the client's WebSocket opening handshake is well-formed (handshake.ts); h2: h2-websocket/handshake-stage.ts. */
export const handshakeStage: Stage = {
  name: 'handshake',
  kinds: ['upgrade'],
  protocols: ['http/1.1'],
  run: (ctx) => {
    const rejection = checkHandshake(ctx.req);
    return rejection ? { result: 'bad_request', status: rejection.status, message: rejection.message, headers: rejection.headers } : undefined;
  },
};

/** methods: a WebSocketRoute proxies plain requests only for the methods its spec.http lists. */
export const methodsStage: Stage = {
  name: 'methods',
  kinds: ['http'],
  run: (ctx) => {
    if (ctx.route!.gateway) return undefined;
    const refusal = plainRefusal(ctx.route!, ctx.req.method ?? '');
    return refusal ? { result: 'bad_request', ...refusal } : undefined;
  },
};

/** endpoints: the route (or the chosen backendRef) has a ready endpoint. */
export const endpointsStage: Stage = {
  name: 'endpoints',
  run: (ctx) => {
    const route = ctx.route!;
    if (route.backend.eligible.length > 0) return undefined;
    return { result: 'no_endpoints', status: 503, message: `route ${route.key} has no ready endpoints`, headers: { 'Retry-After': '1' } };
  },
};

/** client-gone: a plain request whose client left during admission is not sent to a backend. */
export const clientGoneStage: Stage = {
  name: 'client-gone',
  kinds: ['http'],
  run: (_ctx, responder) => (responder.gone ? TAKEN : undefined),
};
