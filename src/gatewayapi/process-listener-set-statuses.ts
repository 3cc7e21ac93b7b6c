// A ListenerSet's status, written with its Gateway's (process-statuses.ts) once attachedRoutes is
// known: Accepted and Programmed (NotAllowed / ParentNotAccepted when it is not attached,
// ListenersNotValid when none of its listeners can serve) and each listener's conditions.

import type { Condition } from '../api/types.js';
import { condition, withTransitionTimes } from './status-conditions.js';
import type { ListenerSetStatusResult } from './model.js';
import type { ListenerSetState } from './translate-state.js';
import type { ListenerStatus } from './types.js';

/** Whether the ListenerSet is attached and serves: the spec counts these in the Gateway's attachedListenerSets. */
export function listenerSetAccepted(ls: ListenerSetState, gatewayAccepted: boolean): boolean {
  return gatewayAccepted && ls.problem === undefined && ls.listeners.some((l) => l.usable);
}

export function listenerSetStatus(ls: ListenerSetState, gatewayAccepted: boolean, now: string | undefined): ListenerSetStatusResult {
  const gen = ls.generation;
  const gwName = `${ls.gateway.namespace}/${ls.gateway.gateway.metadata.name}`;
  const problem =
    ls.problem ??
    (!gatewayAccepted
      ? { reason: 'ParentNotAccepted', message: `Gateway ${gwName} is not accepted` }
      : ls.listeners.some((l) => l.usable)
        ? undefined
        : { reason: 'ListenersNotValid', message: `no listener is valid: ${ls.listeners.map((l) => l.listener.name).join(', ')}` });
  const conditions: Condition[] = problem
    ? [condition('Accepted', false, problem.reason, problem.message, gen), condition('Programmed', false, problem.reason, problem.message, gen)]
    : [condition('Accepted', true, 'Accepted', `attached to Gateway ${gwName}`, gen), condition('Programmed', true, 'Programmed', 'listeners programmed', gen)];
  const previous = ls.listenerSet.status;
  const listeners: ListenerStatus[] = ls.listeners.map((l) => ({
    ...l.status,
    conditions: withTransitionTimes(previous?.listeners?.find((x) => x.name === l.listener.name)?.conditions, l.status.conditions, now),
    attachedRoutes: l.attached.size,
  }));
  return { namespace: ls.namespace, name: ls.name, generation: gen, status: { conditions: withTransitionTimes(previous?.conditions, conditions, now), listeners } };
}
