// cors (plain requests of an HTTPRoute entry with a CORS filter): a preflight is answered by
// wsgate (204), before a redirect, the backend choice and admission: it carries no credentials
// (Fetch standard), so authentication would refuse it, and it reveals only the route's CORS
// settings. Any other request keeps the allowed Origin it sent (before the request header
// modifiers of the rewrite stage can change it), for the respond stage's CORS headers.
// Upgrades pass no cors stage: browsers do no CORS for WebSockets, the Origin check of the
// route's security applies to them (src/security/origin.ts).

import type { RequestResponder } from '../../pipeline/responder.js';
import { TAKEN, type Stage } from '../../pipeline/stage.js';
import { allowedOrigin, isPreflight, preflightHeaders } from '../../routing/cors.js';

export const corsStage: Stage<RequestResponder> = {
  name: 'cors',
  kinds: ['http'],
  run: (ctx, responder) => {
    const cors = ctx.route!.gateway?.cors;
    if (!cors) return undefined;
    if (isPreflight(ctx.req.method, ctx.req.headers)) {
      // Observed like any plain request, by its entry point when the response closes.
      responder.res.writeHead(204, preflightHeaders(cors, ctx.req.headers)).end();
      return TAKEN;
    }
    ctx.corsOrigin = allowedOrigin(cors, ctx.req.headers);
    return undefined;
  },
};
