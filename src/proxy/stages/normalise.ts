// normalise: the request target and Host replaced by their normal forms (routing/
// request-target.ts) before anything reads them, so lookup, rewrites, redirects and the backend
// all see one path and one host. The target is parsed here, once: ctx.path and ctx.query are
// what the later stages read. ctx.originalUrl keeps what the client sent (logs).

import type { Stage } from '../../pipeline/stage.js';
import { normalizeHost, normalizeTarget, targetString } from '../../routing/request-target.js';
import type { StageDeps } from './deps.js';

export function normaliseStage(deps: StageDeps): Stage {
  return {
    name: 'normalise',
    run: (ctx) => {
      const req = ctx.req;
      const target = normalizeTarget(req.url ?? '/', deps.paths);
      if (!target.ok) return { result: 'bad_request', status: target.status, message: target.message };
      const host = normalizeHost(req.headers.host);
      if (!host.ok) return { result: 'bad_request', status: host.status, message: host.message };
      ctx.host = host.name;
      req.url = targetString(target);
      if (req.headers.host !== undefined) req.headers.host = host.header;
      ctx.path = target.path;
      ctx.query = target.query ?? '';
      return undefined;
    },
  };
}
