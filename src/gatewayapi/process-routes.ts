// ProcessHTTPRoutes: each HTTPRoute's rules once (route-rules.ts), then each parentRef to one of
// wsgate's Gateways (its own listeners) or to a ListenerSet of one (that set's listeners) resolved to the listeners it attaches to (counted there for attachedRoutes)
// and the ones that serve it, and the route's status.parents.

import { compareStrings } from '../api/string-order.js';
import { condition, mergeControllerEntries, sameParentRef } from './status-conditions.js';
import { intersectHostnames } from './hostnames.js';
import type { HTTPRouteStatusResult, InvalidBackend } from './model.js';
import { selectorMatches } from './refs.js';
import { translateRule } from './route-rules.js';
import { key, nsOf, type GatewayState, type Indexes, type ListenerSetState, type ListenerState, type ParentResult, type RuleResult } from './translate-state.js';
import { GATEWAY_GROUP, type HTTPRoute, type Namespace, type ParentReference, type RouteParentStatus } from './types.js';

function allowsNamespace(l: ListenerState, routeNs: string, namespaces: Map<string, Namespace>): boolean {
  const from = l.listener.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  // A ListenerSet's listener: the same namespace as the ListenerSet, not its Gateway.
  if (from === 'Same') return routeNs === (l.listenerSet?.namespace ?? l.namespace);
  if (from === 'Selector') return selectorMatches(l.listener.allowedRoutes?.namespaces?.selector, namespaces.get(routeNs)?.metadata.labels);
  return false;
}

/** What a parentRef names: a Gateway (its own listeners) or a ListenerSet (its listeners). */
interface ParentTarget {
  gateway: GatewayState;
  listenerSet?: ListenerSetState;
}

function resolveParent(route: HTTPRoute, ref: ParentReference, target: ParentTarget, namespaces: Map<string, Namespace>, allRulesInvalid: string | undefined): ParentResult {
  const gen = route.metadata.generation ?? 0;
  const routeNs = nsOf(route.metadata);
  const { gateway: g, listenerSet: ls } = target;
  const result = (ok: boolean | 'Unknown', reason: string, message: string, attachedTo: ListenerState[] = [], serving: ParentResult['serving'] = []): ParentResult => ({
    ref,
    gateway: g,
    ...(ls ? { listenerSet: ls } : {}),
    accepted: condition('Accepted', ok, reason, message, gen),
    attachedTo,
    serving,
  });
  const gwName = ls ? `ListenerSet ${ls.namespace}/${ls.name}` : `Gateway ${g.namespace}/${g.gateway.metadata.name}`;
  if (g.problem) return result(false, 'Pending', `Gateway ${g.namespace}/${g.gateway.metadata.name} is not accepted: ${g.problem.message}`);
  if (ls?.problem) return result(false, 'NotAllowedByListeners', `${gwName} is not attached to its Gateway: ${ls.problem.message}`);
  const selected = (ls ? ls.listeners : g.listeners).filter((l) => (ref.sectionName === undefined || l.listener.name === ref.sectionName) && (ref.port === undefined || l.listener.port === ref.port));
  if (selected.length === 0) {
    const what = [ref.sectionName !== undefined ? `sectionName ${ref.sectionName}` : '', ref.port !== undefined ? `port ${ref.port}` : ''].filter(Boolean).join(' and ');
    return result(false, 'NoMatchingParent', `${gwName} has no listener with ${what || 'any name'}`);
  }
  const allowed = selected.filter((l) => l.supportsHTTPRoute && allowsNamespace(l, routeNs, namespaces));
  if (allowed.length === 0) return result(false, 'NotAllowedByListeners', `no listener of ${gwName} allows HTTPRoutes from namespace ${routeNs}`);
  const matched = allowed.flatMap((l) => {
    const hostnames = intersectHostnames(l.listener.hostname, route.spec.hostnames);
    return hostnames ? [{ listener: l, hostnames }] : [];
  });
  if (matched.length === 0) return result(false, 'NoMatchingListenerHostname', `no listener of ${gwName} has a hostname matching ${(route.spec.hostnames ?? []).join(', ')}`);
  // An accepted listener whose references do not resolve (a missing certificate) still has
  // the route attached (attachedRoutes counts it, as the spec's conformance tests expect); it
  // is not programmed, so no entries are made for it.
  const attachable = matched.filter((m) => m.listener.accepted);
  const serving = matched.filter((m) => m.listener.usable);
  if (attachable.length === 0) return result(false, 'NotAllowedByListeners', `the listeners of ${gwName} this route matches (${matched.map((m) => m.listener.listener.name).join(', ')}) are not valid`);
  if (allRulesInvalid !== undefined) return result(false, 'UnsupportedValue', `no rule can be served: ${allRulesInvalid}`);
  const unprogrammed = attachable.filter((m) => !m.listener.usable).map((m) => m.listener.listener.name);
  const note = unprogrammed.length ? `; listeners ${unprogrammed.join(', ')} are not programmed (see the Gateway's status) and serve nothing yet` : '';
  return result(true, 'Accepted', `accepted by ${gwName}${note}`, attachable.map((m) => m.listener), serving);
}

export interface RoutesResult {
  /** By namespace/name. */
  readonly sorted: readonly HTTPRoute[];
  /** Keyed by "ns/name". */
  readonly rules: Map<string, RuleResult[]>;
  /** Keyed by "ns/name": the parentRefs to our Gateways. */
  readonly parents: Map<string, ParentResult[]>;
  readonly statuses: Map<string, HTTPRouteStatusResult>;
}

function parentTarget(
  ref: ParentReference,
  routeNs: string,
  gatewayStates: ReadonlyMap<string, GatewayState>,
  listenerSets: ReadonlyMap<string, ListenerSetState>,
): ParentTarget | undefined {
  if ((ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP) return undefined;
  const k = key(ref.namespace ?? routeNs, ref.name);
  const kind = ref.kind ?? 'Gateway';
  if (kind === 'Gateway') {
    const gateway = gatewayStates.get(k);
    return gateway ? { gateway } : undefined;
  }
  if (kind === 'ListenerSet') {
    const listenerSet = listenerSets.get(k);
    return listenerSet ? { gateway: listenerSet.gateway, listenerSet } : undefined;
  }
  return undefined;
}

export function processHTTPRoutes(
  routes: readonly HTTPRoute[],
  gatewayStates: ReadonlyMap<string, GatewayState>,
  listenerSets: ReadonlyMap<string, ListenerSetState>,
  indexes: Indexes,
  now: string | undefined,
): RoutesResult {
  const sortedRoutes = [...routes].sort((a, b) => compareStrings(key(nsOf(a.metadata), a.metadata.name), key(nsOf(b.metadata), b.metadata.name)));
  const routeRules = new Map<string, RuleResult[]>();
  const routeParents = new Map<string, ParentResult[]>();
  const httpRoutes = new Map<string, HTTPRouteStatusResult>();
  for (const route of sortedRoutes) {
    const routeNs = nsOf(route.metadata);
    const rk = key(routeNs, route.metadata.name);
    const gen = route.metadata.generation ?? 0;
    const rules = route.spec.rules ?? [{}];
    const results = rules.map((r, i) => translateRule(route, r, i, indexes));
    routeRules.set(rk, results);
    const valid = results.filter((r) => r.problems.length === 0);
    const dropped = results.filter((r) => r.problems.length > 0);
    const allRulesInvalid = results.length > 0 && valid.length === 0 ? results.flatMap((r) => r.problems).join('; ') : undefined;

    const parents: ParentResult[] = [];
    for (const ref of route.spec.parentRefs ?? []) {
      const target = parentTarget(ref, routeNs, gatewayStates, listenerSets);
      if (!target) continue; // not a Gateway of ours or a ListenerSet of one (or none at all): not ours to report on
      const p = resolveParent(route, ref, target, indexes.namespaces, allRulesInvalid);
      parents.push(p);
      if (p.accepted.status === 'True') for (const l of p.attachedTo) l.attached.add(rk);
    }
    routeParents.set(rk, parents);

    // ResolvedRefs over the rules that are kept.
    const invalidBackends = valid.flatMap((r) => r.backends.filter((b): b is InvalidBackend => !b.valid));
    const resolvedRefs = invalidBackends.length
      ? condition('ResolvedRefs', false, invalidBackends[0]!.reason, invalidBackends.map((b) => b.message).join('; '), gen)
      : condition('ResolvedRefs', true, 'ResolvedRefs', 'every backendRef resolved', gen);
    const ours: RouteParentStatus[] = parents.map((p) => {
      const conditions = [p.accepted, resolvedRefs];
      if (p.accepted.status === 'True' && dropped.length > 0) {
        conditions.push(
          condition(
            'PartiallyInvalid',
            true,
            'UnsupportedValue',
            `Dropped Rule(s) ${dropped.map((r) => r.index).join(', ')}: ${dropped.flatMap((r) => r.problems).join('; ')}`,
            gen,
          ),
        );
      }
      return { parentRef: { ...p.ref }, controllerName: indexes.controllerName, conditions };
    });
    const hadOurs = (route.status?.parents ?? []).some((e) => e.controllerName === indexes.controllerName);
    if (ours.length > 0 || hadOurs) {
      httpRoutes.set(rk, {
        namespace: routeNs,
        name: route.metadata.name,
        generation: gen,
        parents: mergeControllerEntries(route.status?.parents, ours, indexes.controllerName, (a, b) => sameParentRef(a.parentRef, b.parentRef, routeNs), now),
      });
    }
  }
  return { sorted: sortedRoutes, rules: routeRules, parents: routeParents, statuses: httpRoutes };
}
