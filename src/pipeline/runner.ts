// One runner for every entry point (HTTP/1.1 upgrade and plain request now; h2 streams next):
// the stages in one list, each run for the kinds and protocols it names, in the spirit of
// Fastify's lifecycle hooks. A stage's promise is awaited; a plain value is not (no extra
// microtask per stage on the hot path).

import type { RequestContext, RequestKind } from './context.js';
import type { Protocol, Responder } from './responder.js';
import { TAKEN, type Refusal, type Stage } from './stage.js';

export interface RunnerHooks {
  /** The observe stage of a refusal, before the answer is written. */
  refused(ctx: RequestContext, refusal: Refusal): void;
}

export class StageRunner {
  /** The stages that apply, per kind and protocol (built once: no work per request). */
  private readonly lists: Record<RequestKind, Record<Protocol, readonly Stage[]>>;

  constructor(
    readonly stages: readonly Stage[],
    private readonly hooks: RunnerHooks,
  ) {
    const applying = (kind: RequestKind, protocol: Protocol) =>
      stages.filter((s) => (!s.kinds || s.kinds.includes(kind)) && (!s.protocols || s.protocols.includes(protocol)));
    this.lists = {
      upgrade: { 'http/1.1': applying('upgrade', 'http/1.1'), h2: applying('upgrade', 'h2') },
      http: { 'http/1.1': applying('http', 'http/1.1'), h2: applying('http', 'h2') },
    };
  }

  /** The stages a request of `kind` over `protocol` passes, in order. */
  stagesFor(kind: RequestKind, protocol: Protocol): readonly Stage[] {
    return this.lists[kind][protocol];
  }

  /** Runs the stages until one refuses or takes the request over. */
  async run(ctx: RequestContext, responder: Responder): Promise<void> {
    for (const stage of this.stagesFor(ctx.kind, ctx.protocol)) {
      let outcome = stage.run(ctx, responder);
      if (outcome instanceof Promise) outcome = await outcome;
      if (outcome === undefined) continue;
      if (outcome !== TAKEN) this.refuse(ctx, responder, outcome);
      return;
    }
  }

  private refuse(ctx: RequestContext, responder: Responder, refusal: Refusal): void {
    this.hooks.refused(ctx, refusal);
    responder.refuse(refusal.status, refusal.message, refusal.headers);
  }
}
