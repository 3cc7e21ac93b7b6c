// The one validation entry point, used by the compile step (every source) and by
// `wsgate validate`. Stages run from coarse to fine, and a field that already has a problem
// gets no more from later stages, so one mistake reads as one line.

import { checkCelRules } from './cel-rules.js';
import { loadRouteSchema } from './crd.js';
import { checkIdentity } from './identity.js';
import { ROOT_FIELD, type Problem } from './problem.js';
import { pruneNulls } from './prune-nulls.js';
import { validateAgainstSchema } from './schema-validate.js';
import { checkSemantics } from './semantic.js';

export type { Problem } from './problem.js';

export function validateRoute(doc: unknown): Problem[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return [{ field: ROOT_FIELD, reason: 'must be a WebSocketRoute mapping with apiVersion, kind, metadata and spec' }];
  }
  const identity = checkIdentity(doc as Record<string, unknown>);
  if (!identity.isRoute) return identity.problems;
  const cleaned = pruneNulls(doc, loadRouteSchema()) as Record<string, unknown>;
  return merge([identity.problems, validateAgainstSchema(cleaned), checkCelRules(cleaned), checkSemantics(cleaned.spec)]);
}

/** Concatenates stages, dropping a later stage's problems on fields an earlier stage reported. */
function merge(stages: Problem[][]): Problem[] {
  const out: Problem[] = [];
  const reported = new Set<string>();
  for (const stage of stages) {
    const fresh = stage.filter((p) => !reported.has(p.field));
    for (const p of fresh) {
      if (!out.some((q) => q.field === p.field && q.reason === p.reason)) out.push(p);
    }
    for (const p of fresh) reported.add(p.field);
  }
  return out;
}
