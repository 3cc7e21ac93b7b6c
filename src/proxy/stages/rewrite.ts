// rewrite: the request the backend sees. A WebSocketRoute's downstream path template; an
// HTTPRoute entry's header modifiers (the rule's, then the backendRef's) and URLRewrite.

import type { Stage } from '../../pipeline/stage.js';
import { rewriteTarget } from '../../routing/template.js';
import { modifyHeaders, rewrittenTarget } from '../gateway-http.js';

export const rewriteStage: Stage = {
  name: 'rewrite',
  run: (ctx) => {
    const req = ctx.req;
    const route = ctx.route!;
    const gw = route.gateway;
    if (!gw) {
      req.url = rewriteTarget(route.backend.path, ctx.params, req.url ?? '/');
      return undefined;
    }
    modifyHeaders(req.headers, gw.requestHeaders);
    modifyHeaders(req.headers, ctx.gatewayBackend?.requestHeaders);
    const rewrite = gw.urlRewrite;
    if (rewrite?.hostname !== undefined) req.headers.host = rewrite.hostname;
    req.url = rewrittenTarget(req.url ?? '/', gw.pathMatch, rewrite?.path);
    return undefined;
  },
};
