// admit: security and limits (src/admission through the Admission interface). Always awaited,
// also when admission answers at once: the await lets the HTTP parser finish the bytes it was
// reading, so a malformed body behind a plain request's head is seen (client-gone) before
// anything is sent to a backend.

import type { Admission } from '../../pipeline/context.js';
import type { Stage } from '../../pipeline/stage.js';

export function admitStage(admission: Admission): Stage {
  return {
    name: 'admit',
    run: async (ctx, responder) => {
      const verdict = await admission.admit(ctx);
      // What admission counted for the client (its open connections) lives as long as the
      // client end, whatever the outcome.
      const release = ctx.takeRelease();
      if (release) responder.onClose(release);
      return verdict.ok ? undefined : verdict;
    },
  };
}
