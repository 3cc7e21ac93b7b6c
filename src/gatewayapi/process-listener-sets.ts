// ProcessListenerSets: each ListenerSet whose parentRef names one of wsgate's Gateways, attached
// when the Gateway's spec.allowedListeners admits its namespace (default: none). Its listeners
// are built like the Gateway's own (process-listeners.ts) and served on the Gateway's sockets
// and addresses; a listener that conflicts with one of higher precedence (the Gateway's, then
// older ListenerSets', then by namespace/name) is the one refused. Routes attach to a
// ListenerSet as their parentRef (process-routes.ts), never through the Gateway.

import { compareStrings } from '../api/string-order.js';
import { buildListeners, claimPorts, type PortClaims } from './process-listeners.js';
import { selectorMatches } from './refs.js';
import { key, nsOf, type GatewayState, type Indexes, type ListenerSetState, type TranslateInput } from './translate-state.js';
import { GATEWAY_GROUP, type ListenerSet } from './types.js';

/** Whether the Gateway's allowedListeners admits a ListenerSet from `namespace`. */
function allowedByGateway(g: GatewayState, namespace: string, indexes: Indexes): boolean {
  const allowed = g.gateway.spec.allowedListeners?.namespaces;
  switch (allowed?.from ?? 'None') {
    case 'All':
      return true;
    case 'Same':
      return namespace === g.namespace;
    case 'Selector':
      return selectorMatches(allowed?.selector, indexes.namespaces.get(namespace)?.metadata.labels);
    default:
      return false;
  }
}

/** The spec's precedence among a Gateway's ListenerSets: oldest first, then namespace/name. */
function byPrecedence(a: ListenerSet, b: ListenerSet): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return compareStrings(ta, tb);
  return compareStrings(key(nsOf(a.metadata), a.metadata.name), key(nsOf(b.metadata), b.metadata.name));
}

/** Keyed by "ns/name"; only ListenerSets whose parent is one of our Gateways (also added to that Gateway's `listenerSets`). */
export function processListenerSets(input: TranslateInput, gatewayStates: ReadonlyMap<string, GatewayState>, indexes: Indexes): Map<string, ListenerSetState> {
  const states = new Map<string, ListenerSetState>();
  const claims = new Map<GatewayState, PortClaims>();
  for (const ls of [...(input.listenerSets ?? [])].sort(byPrecedence)) {
    const namespace = nsOf(ls.metadata);
    const parent = ls.spec.parentRef;
    if ((parent.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP || (parent.kind ?? 'Gateway') !== 'Gateway') continue;
    const g = gatewayStates.get(key(parent.namespace ?? namespace, parent.name));
    if (!g) continue; // not a Gateway of ours: another controller's ListenerSet
    const generation = ls.metadata.generation ?? 0;
    const state: ListenerSetState = { listenerSet: ls, namespace, name: ls.metadata.name, generation, gateway: g, listeners: [] };
    const gwName = key(g.namespace, g.gateway.metadata.name);
    if (!allowedByGateway(g, namespace, indexes)) {
      state.problem = { reason: 'NotAllowed', message: `Gateway ${gwName} does not allow ListenerSets from namespace ${namespace} (spec.allowedListeners)` };
    } else if (g.problem) {
      state.problem = { reason: 'ParentNotAccepted', message: `Gateway ${gwName} is not accepted: ${g.problem.message}` };
    } else {
      let taken = claims.get(g);
      if (!taken) {
        taken = new Map();
        claimPorts(taken, g.listeners);
        claims.set(g, taken);
      }
      const owner = { gateway: g.gateway, kind: 'ListenerSet' as const, namespace, generation, listenerSet: { namespace, name: ls.metadata.name } };
      state.listeners = buildListeners(ls.spec.listeners ?? [], owner, taken, input, indexes);
      claimPorts(taken, state.listeners);
    }
    g.listenerSets.push(state);
    states.set(key(namespace, ls.metadata.name), state);
  }
  return states;
}
