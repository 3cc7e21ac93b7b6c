// lookup: the route for the request's host, path and match conditions, and the path's captures.

import type { Stage } from '../../pipeline/stage.js';
import { offeredSubprotocols } from '../client-handshake.js';
import type { StageDeps } from './deps.js';

export function lookupStage(deps: StageDeps): Stage {
  return {
    name: 'lookup',
    run: (ctx) => {
      const req = ctx.req;
      const match = deps.table().lookup({
        host: ctx.host,
        path: ctx.path,
        method: req.method ?? 'GET',
        query: ctx.query,
        listener: ctx.listener,
        subprotocols: offeredSubprotocols(req),
        header: (name) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v.join(', ') : v;
        },
      });
      if (!match) return { result: 'no_route', status: 404, message: ctx.kind === 'upgrade' ? 'no route for this host and path' : 'no route' };
      ctx.route = match.route;
      ctx.params = match.params;
      return undefined;
    },
  };
}
