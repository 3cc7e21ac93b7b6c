// mirror (plain requests of an HTTPRoute entry with RequestMirror filters): copies of the request
// as its backend sees it (after the rewrite stage), sent fire-and-forget (mirror.ts) just
// before the exchange; they never hold up the request itself. Only bodyless requests are
// copied; upgrades never are (a second backend would take the other end of a tunnel).

import type { Stage } from '../../pipeline/stage.js';
import { mirrorable, sendMirrors } from '../mirror.js';
import type { StageDeps } from './deps.js';

export function mirrorStage(deps: StageDeps): Stage {
  return {
    name: 'mirror',
    kinds: ['http'],
    run: (ctx) => {
      const mirrors = ctx.route!.gateway?.mirrors;
      if (mirrors && mirrorable(ctx.framing)) sendMirrors(ctx.req, mirrors, deps.agents, deps.random, deps.log);
      return undefined;
    },
  };
}
