// overload: the process's --max-connections and memory overload protection (overload-gate.ts).
// First among the costly stages: a refused upgrade costs no lookup, admission or backend. An
// upgrade holds a connection slot until its client end closes; a plain request is refused only
// for a body above the limit while memory is short.

import type { Stage } from '../../pipeline/stage.js';
import type { OverloadGate } from '../overload-gate.js';

export function overloadStage(gate: OverloadGate): Stage {
  return {
    name: 'overload',
    run: (ctx, responder) => {
      if (ctx.kind === 'upgrade') {
        const slot = gate.upgrade();
        if (typeof slot !== 'function') return slot;
        responder.onClose(slot);
        return undefined;
      }
      const refusal = gate.plainBody(ctx.req);
      return refusal ? { ...refusal, headers: { ...refusal.headers, Connection: 'close' } } : undefined;
    },
  };
}
