// Pure: compile results -> the status object to write, keeping lastTransitionTime for
// conditions whose status did not change (metav1.Condition semantics).

import type { Condition, WebSocketRouteStatus } from '../api/types.js';
import type { ConditionResult, RouteStatusResult } from '../routing/types.js';

export function desiredStatus(result: RouteStatusResult, current: WebSocketRouteStatus | undefined, now: Date): WebSocketRouteStatus {
  const previous = new Map((current?.conditions ?? []).map((c) => [c.type, c]));
  const condition = (type: string, r: ConditionResult): Condition => {
    const prev = previous.get(type);
    return {
      type,
      status: r.status,
      reason: r.reason,
      message: r.message.slice(0, 32768),
      observedGeneration: result.generation,
      lastTransitionTime: prev && prev.status === r.status && prev.lastTransitionTime ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  };
  return {
    observedGeneration: result.generation,
    conditions: [
      condition('Accepted', result.accepted),
      condition('ResolvedRefs', result.resolvedRefs),
      condition('Ready', result.ready),
    ],
    backends: { ready: result.backends.ready, total: result.backends.total },
  };
}

/** True when writing `next` would change what `current` says (timestamps aside). */
export function statusDiffers(current: WebSocketRouteStatus | undefined, next: WebSocketRouteStatus): boolean {
  return JSON.stringify(comparable(current)) !== JSON.stringify(comparable(next));
}

function comparable(s: WebSocketRouteStatus | undefined): unknown {
  if (!s) return null;
  return {
    observedGeneration: s.observedGeneration,
    backends: s.backends ? { ready: s.backends.ready, total: s.backends.total } : undefined,
    conditions: (s.conditions ?? [])
      .map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration: c.observedGeneration }))
      .sort((a, b) => (a.type < b.type ? -1 : 1)),
  };
}
