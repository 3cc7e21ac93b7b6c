// framing (HTTP/1.1 plain requests): how the body the backend receives is delimited, from the
// head as Node's parser read it (request-framing.ts); an ambiguous or unsupported framing is
// refused and ends the connection, and nothing more is served on it: what a request read after
// it is depends on how that framing was read.

import type { Stage } from '../../pipeline/stage.js';
import { markRefused } from '../refused-sockets.js';
import { requestFraming } from '../request-framing.js';
import type { StageDeps } from './deps.js';

export function framingStage(deps: StageDeps): Stage {
  return {
    name: 'framing',
    kinds: ['http'],
    protocols: ['http/1.1'],
    run: (ctx) => {
      const req = ctx.req;
      const framing = requestFraming(req);
      if (framing.ok) {
        ctx.framing = framing.framing;
        return undefined;
      }
      markRefused(req.socket);
      deps.log.info({ client: req.socket.remoteAddress, status: framing.status }, `request refused: ${framing.message}`);
      return { result: 'bad_request', status: framing.status, message: framing.message, headers: { Connection: 'close' } };
    },
  };
}
