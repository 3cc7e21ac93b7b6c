// The statuses written last, when everything they report on is known: each WebSocketPolicy's
// and BackendTLSPolicy's ancestors (one per Gateway a target is reached through, or the target itself) and each
// Gateway's conditions and listeners (attachedRoutes counted by process-routes.ts), with the
// listeners to serve.

import type { Condition } from '../api/types.js';
import { compareStrings } from '../api/string-order.js';
import { condition, mergeControllerEntries, sameParentRef, withTransitionTimes } from './status-conditions.js';
import type { GatewayStatusResult, ListenerSetStatusResult, PolicyStatusResult, ProgrammedListener } from './model.js';
import { allowsInsecureFallback } from './frontend-validation.js';
import { listenerSetAccepted, listenerSetStatus } from './process-listener-set-statuses.js';
import { policyKey } from './policies.js';
import type { RoutesResult } from './process-routes.js';
import { key, nsOf, servedListenerName, type GatewayState, type ListenerState, type PolicyLevelStatus, type PolicyTargetResult, type RuleResult } from './translate-state.js';
import { GATEWAY_GROUP, type Gateway, type ListenerStatus, type Meta, type ParentReference, type PolicyAncestorStatus } from './types.js';

/** A policy as its status is computed: WebSocketPolicy or BackendTLSPolicy. */
interface AttachedPolicy {
  metadata: Meta;
  status?: { ancestors?: PolicyAncestorStatus[] };
}

export function processPolicyStatuses(
  policies: readonly AttachedPolicy[],
  targets: ReadonlyMap<string, PolicyTargetResult[]>,
  routes: RoutesResult,
  controllerName: string,
  now: string | undefined,
  kind?: {
    /** Conditions of the policy as a whole, by "ns/name". */
    readonly levels: ReadonlyMap<string, PolicyLevelStatus>;
    /**
     * Report only Gateways of ours as ancestors (BackendTLSPolicy: a Service no route of ours
     * reaches is another implementation's to report on); else the target itself stands in.
     */
    readonly onlyGatewayAncestors: boolean;
  },
): Map<string, PolicyStatusResult> {
  const statuses = new Map<string, PolicyStatusResult>();
  for (const p of policies) {
    const pk = policyKey(p);
    const gen = p.metadata.generation ?? 0;
    const level = kind?.levels.get(pk);
    const ancestors = new Map<string, { ref: ParentReference; results: PolicyTargetResult[] }>();
    const add = (ref: ParentReference, r: PolicyTargetResult) => {
      const k = `${ref.group ?? ''}/${ref.kind ?? ''}/${ref.namespace ?? ''}/${ref.name}/${ref.sectionName ?? ''}`;
      const a = ancestors.get(k) ?? { ref, results: [] };
      a.results.push(r);
      ancestors.set(k, a);
    };
    for (const r of targets.get(pk) ?? []) {
      const gateways = new Map<string, ParentReference>();
      if (r.reason !== 'TargetNotFound' && r.reason !== 'Invalid') {
        // A route whose parentRefs name none of our Gateways is another controller's (or no
        // one's): an entry of ours would claim a policy we do not apply.
        if (r.kind === 'HTTPRoute' && !routes.parents.get(key(r.namespace, r.name))?.length) continue;
        const reaching = r.kind === 'HTTPRoute' ? [key(r.namespace, r.name)] : routesUsingService(r, routes.rules);
        for (const rk of reaching) {
          for (const parent of routes.parents.get(rk) ?? []) {
            if (parent.accepted.status !== 'True') continue;
            const g = parent.gateway;
            gateways.set(key(g.namespace, g.gateway.metadata.name), { group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.namespace, name: g.gateway.metadata.name });
          }
        }
      }
      if (gateways.size === 0) {
        if (kind?.onlyGatewayAncestors) continue;
        add({ group: r.kind === 'HTTPRoute' ? GATEWAY_GROUP : '', kind: r.kind, namespace: r.namespace, name: r.name, ...(r.sectionName ? { sectionName: r.sectionName } : {}) }, r);
      } else {
        for (const ref of [...gateways.values()].sort((a, b) => compareStrings(key(a.namespace!, a.name), key(b.namespace!, b.name)))) add(ref, r);
      }
    }
    const ours: PolicyAncestorStatus[] = [...ancestors.entries()]
      .sort(([a], [b]) => compareStrings(a, b))
      .slice(0, 16)
      .map(([, a]) => {
        const bad = a.results.find((r) => r.reason !== 'Accepted');
        const refused = level?.refused;
        const accepted = bad
          ? condition('Accepted', false, bad.reason, a.results.filter((r) => r.reason !== 'Accepted').map((r) => r.message).join('; '), gen)
          : refused
            ? condition('Accepted', false, refused.reason, refused.message, gen)
            : condition('Accepted', true, 'Accepted', a.results.map((r) => r.message).join('; '), gen);
        return { ancestorRef: a.ref, controllerName, conditions: [accepted, ...(level ? level.extra(gen) : [])] };
      });
    statuses.set(pk, {
      namespace: nsOf(p.metadata),
      name: p.metadata.name,
      generation: gen,
      ancestors: mergeControllerEntries(p.status?.ancestors, ours, controllerName, (a, b) => sameParentRef(a.ancestorRef, b.ancestorRef, nsOf(p.metadata)), now),
    });
  }
  return statuses;
}

function routesUsingService(t: PolicyTargetResult, routeRules: Map<string, RuleResult[]>): string[] {
  const out: string[] = [];
  for (const [rk, rules] of routeRules) {
    const uses = rules.some((r) =>
      r.problems.length === 0 &&
      r.backends.some((b) => b.valid && b.namespace === t.namespace && b.name === t.name && (t.sectionName === undefined || b.portName === t.sectionName)),
    );
    if (uses) out.push(rk);
  }
  return out;
}

function gatewayStatus(g: GatewayState): GatewayStatusResult {
  const gen = g.generation;
  const anyAccepted = g.listeners.some((l) => l.accepted);
  const allValid = g.listeners.every((l) => l.usable && l.status.conditions.every((c) => c.type === 'Conflicted' || c.status === 'True'));
  let accepted: Condition;
  if (g.problem) accepted = condition('Accepted', g.problem.reason === 'Pending' ? 'Unknown' : false, g.problem.reason, g.problem.message, gen);
  else if (!anyAccepted) accepted = condition('Accepted', false, 'ListenersNotValid', 'no listener is valid', gen);
  else if (!allValid) accepted = condition('Accepted', true, 'ListenersNotValid', `listeners not valid: ${g.listeners.filter((l) => !l.usable || l.status.conditions.some((c) => c.type !== 'Conflicted' && c.status !== 'True')).map((l) => l.listener.name).join(', ')}`, gen);
  else accepted = condition('Accepted', true, 'Accepted', 'gateway accepted', gen);
  const ok = accepted.status === 'True';
  const programmed = !ok
    ? condition('Programmed', false, 'Invalid', 'the gateway is not accepted', gen)
    : g.addressNotUsable
      ? condition('Programmed', false, 'AddressNotUsable', g.addressNotUsable, gen)
      : g.addresses.length === 0
        ? condition('Programmed', false, 'AddressNotAssigned', "wsgate's Service has no address yet", gen)
      : condition('Programmed', true, 'Programmed', 'gateway programmed', gen);
  const listeners: ListenerStatus[] = g.listeners.map((l) => ({
    ...l.status,
    conditions: ok ? l.status.conditions : l.status.conditions.map((c) => (c.type === 'Programmed' ? condition('Programmed', false, 'Invalid', 'the gateway is not accepted', gen) : c)),
    attachedRoutes: l.attached.size,
  }));
  // ResolvedRefs only where the Gateway itself references something (spec.tls.backend).
  const refs = g.backendTlsRefs;
  const resolvedRefs = refs
    ? [refs.problem ? condition('ResolvedRefs', false, refs.problem.reason, refs.problem.message, gen) : condition('ResolvedRefs', true, 'ResolvedRefs', 'references resolved', gen)]
    : [];
  // Present only while some port allows insecure fallback (the spec: removed when it no longer does).
  const insecure = allowsInsecureFallback(g.gateway)
    ? [condition('InsecureFrontendValidationMode', true, 'ConfigurationChanged', 'spec.tls.frontend allows clients without a valid certificate (AllowInsecureFallback)', gen)]
    : [];
  return {
    namespace: g.namespace,
    name: g.gateway.metadata.name,
    generation: gen,
    status: {
      addresses: g.addresses,
      conditions: [accepted, programmed, ...resolvedRefs, ...insecure],
      listeners,
      // Only where ListenerSets may attach: other Gateways' statuses stay as they were.
      ...((g.gateway.spec.allowedListeners?.namespaces?.from ?? 'None') !== 'None' ? { attachedListenerSets: g.listenerSets.filter((ls) => listenerSetAccepted(ls, ok)).length } : {}),
    },
  };
}

function programmed(g: GatewayState, l: ListenerState): ProgrammedListener {
  return {
    gatewayNamespace: g.namespace,
    gatewayName: g.gateway.metadata.name,
    listenerName: servedListenerName(l),
    port: l.listener.port,
    protocol: l.listener.protocol as 'HTTP' | 'HTTPS',
    ...(l.listener.hostname ? { hostname: l.listener.hostname.toLowerCase() } : {}),
    certificates: l.certificates,
    ...(l.tlsPolicy ? { tlsPolicy: l.tlsPolicy } : {}),
    ...(l.clientValidation ? { clientValidation: l.clientValidation } : {}),
  };
}

export interface GatewayStatusesResult {
  gateways: Map<string, GatewayStatusResult>;
  listenerSets: Map<string, ListenerSetStatusResult>;
  listeners: ProgrammedListener[];
}

export function processGatewayStatuses(gatewayStates: ReadonlyMap<string, GatewayState>, now: string | undefined): GatewayStatusesResult {
  const gateways = new Map<string, GatewayStatusResult>();
  const listenerSets = new Map<string, ListenerSetStatusResult>();
  const listeners: ProgrammedListener[] = [];
  for (const [gk, g] of gatewayStates) {
    const s = gatewayStatus(g);
    // The Gateway as read, for the lastTransitionTimes of conditions that did not change.
    const previous = g.gateway as Gateway & { status?: { conditions?: Condition[]; listeners?: ListenerStatus[] } };
    s.status.conditions = withTransitionTimes(previous.status?.conditions, s.status.conditions, now);
    s.status.listeners = s.status.listeners.map((l) => ({ ...l, conditions: withTransitionTimes(previous.status?.listeners?.find((x) => x.name === l.name)?.conditions, l.conditions, now) }));
    gateways.set(gk, s);
    const ok = s.status.conditions[0]!.status === 'True';
    // Not where it asked to be: nothing is served rather than served on other addresses.
    const serve = ok && g.addressNotUsable === undefined;
    for (const ls of g.listenerSets) {
      listenerSets.set(key(ls.namespace, ls.name), listenerSetStatus(ls, ok, now));
      if (serve && listenerSetAccepted(ls, ok)) for (const l of ls.listeners) if (l.usable) listeners.push(programmed(g, l));
    }
    if (!serve) continue;
    for (const l of g.listeners) if (l.usable) listeners.push(programmed(g, l));
  }

  return { gateways, listenerSets, listeners };
}
