// metav1.Condition building and status merging. Pure: a time, when wanted, comes in as `now`.

import type { Condition } from '../api/types.js';
import type { ParentReference } from './types.js';

export function condition(type: string, ok: boolean | 'Unknown', reason: string, message: string, generation: number): Condition {
  return { type, status: ok === 'Unknown' ? 'Unknown' : ok ? 'True' : 'False', reason, message, observedGeneration: generation };
}

/**
 * The conditions to write: `next`, each with the previous lastTransitionTime when its status
 * did not change, or `now` when it did (or is new). Without `now` no lastTransitionTime is set.
 */
export function withTransitionTimes(previous: readonly Condition[] | undefined, next: readonly Condition[], now?: string): Condition[] {
  return next.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    const at = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return at ? { ...c, lastTransitionTime: at } : { ...c };
  });
}

/** Same parent, with the API's defaults (group gateway.networking.k8s.io, kind Gateway, the route's namespace). */
export function sameParentRef(a: ParentReference, b: ParentReference, routeNamespace: string): boolean {
  return (
    (a.group ?? 'gateway.networking.k8s.io') === (b.group ?? 'gateway.networking.k8s.io') &&
    (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway') &&
    (a.namespace ?? routeNamespace) === (b.namespace ?? routeNamespace) &&
    a.name === b.name &&
    (a.sectionName ?? '') === (b.sectionName ?? '') &&
    (a.port ?? 0) === (b.port ?? 0)
  );
}

/**
 * Replaces this controller's entries of a status list (status.parents, status.ancestors) with
 * `ours`, leaving every other controller's entry where and as it was; ours keep the
 * lastTransitionTime of the previous entry for the same ref when a condition did not change.
 */
export function mergeControllerEntries<E extends { controllerName: string; conditions: Condition[] }>(
  existing: readonly E[] | undefined,
  ours: readonly E[],
  controllerName: string,
  sameRef: (a: E, b: E) => boolean,
  now?: string,
): E[] {
  const previous = (existing ?? []).filter((e) => e.controllerName === controllerName);
  const others = (existing ?? []).filter((e) => e.controllerName !== controllerName);
  const mine = ours.map((e) => ({ ...e, conditions: withTransitionTimes(previous.find((p) => sameRef(p, e))?.conditions, e.conditions, now) }));
  return [...others, ...mine];
}
