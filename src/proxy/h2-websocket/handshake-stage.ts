// handshake, for an RFC 8441 stream: its extended CONNECT is well-formed (request.ts), in the
// place the HTTP/1.1 handshake stage has in the list (stages/guards.ts).

import type { Stage } from '../../pipeline/stage.js';
import { checkExtendedConnect } from './request.js';
import type { StreamResponder } from './stream-responder.js';

export const extendedConnectStage: Stage<StreamResponder> = {
  name: 'handshake',
  kinds: ['upgrade'],
  protocols: ['h2'],
  run: (_ctx, responder) => {
    const refusal = checkExtendedConnect(responder.requestHeaders);
    return refusal ? { result: 'bad_request', status: refusal.status, message: refusal.message, headers: refusal.headers } : undefined;
  },
};
