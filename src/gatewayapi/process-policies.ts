// ProcessPolicies: each WebSocketPolicy's targetRefs found (or not), checked, and the GEP-713
// winner per target; behaviourFor then gives a rule the behaviour of the policy that applies to
// it (rule, then route, then its backends' Services, then the defaults).

import type { WebSocketBehaviour } from './model.js';
import { behaviourSpec, buildBehaviour, comparePolicies, policyKey, policyProblems, targetKey, targetKindOf } from './policies.js';
import { key, nsOf, type PolicyTargetResult, type RuleResult } from './translate-state.js';
import type { HTTPRoute, Service, WebSocketPolicy } from './types.js';

export interface PoliciesResult {
  /** Keyed by "ns/name" of the policy. */
  readonly targets: Map<string, PolicyTargetResult[]>;
  /** Keyed by targetKey(): the policy that applies there. */
  readonly winners: Map<string, WebSocketPolicy>;
}

export function processPolicies(policies: readonly WebSocketPolicy[], routes: readonly HTTPRoute[], services: ReadonlyMap<string, Service>): PoliciesResult {
  const routesByKey = new Map(routes.map((r) => [key(nsOf(r.metadata), r.metadata.name), r]));
  const policyTargets = new Map<string, PolicyTargetResult[]>();
  const winners = new Map<string, WebSocketPolicy>();
  for (const p of [...policies].sort(comparePolicies)) {
    const ns = nsOf(p.metadata);
    const problems = policyProblems(p);
    const results: PolicyTargetResult[] = [];
    for (const t of p.spec.targetRefs ?? []) {
      const kind = targetKindOf(t);
      const base = { kind: kind ?? 'Service', namespace: ns, name: t.name, ...(t.sectionName ? { sectionName: t.sectionName } : {}) } as const;
      if (!kind) {
        results.push({ ...base, reason: 'Invalid', message: `targetRef ${t.group || 'core'}/${t.kind} is not supported (HTTPRoute and Service are)` });
        continue;
      }
      let found = false;
      if (kind === 'HTTPRoute') {
        const r = routesByKey.get(key(ns, t.name));
        found = !!r && (t.sectionName === undefined || (r.spec.rules ?? []).some((rule) => rule.name === t.sectionName));
      } else {
        const s = services.get(key(ns, t.name));
        found = !!s && (t.sectionName === undefined || (s.spec.ports ?? []).some((port) => port.name === t.sectionName));
      }
      const what = `${kind} ${ns}/${t.name}${t.sectionName ? ` section ${t.sectionName}` : ''}`;
      if (!found) {
        results.push({ ...base, kind, reason: 'TargetNotFound', message: `${what} not found` });
        continue;
      }
      if (problems.length) {
        results.push({ ...base, kind, reason: 'Invalid', message: problems.join('; ') });
        continue;
      }
      const tk = targetKey(kind, ns, t.name, t.sectionName);
      const winner = winners.get(tk);
      if (winner && winner !== p) {
        results.push({ ...base, kind, reason: 'Conflicted', message: `${what} already has WebSocketPolicy ${policyKey(winner)} (older, or first by name)` });
        continue;
      }
      winners.set(tk, p);
      results.push({ ...base, kind, reason: 'Accepted', message: `applies to ${what}` });
    }
    policyTargets.set(policyKey(p), results);
  }
  return { targets: policyTargets, winners };
}

export function behaviourFor(winners: ReadonlyMap<string, WebSocketPolicy>, route: HTTPRoute, rule: RuleResult): WebSocketBehaviour {
  const ns = nsOf(route.metadata);
  const ruleName = rule.rule.name;
  const onRule = ruleName ? winners.get(targetKey('HTTPRoute', ns, route.metadata.name, ruleName)) : undefined;
  if (onRule) return buildBehaviour(behaviourSpec(onRule), ns, { kind: 'WebSocketPolicy', namespace: ns, name: onRule.metadata.name, target: 'HTTPRouteRule' });
  const onRoute = winners.get(targetKey('HTTPRoute', ns, route.metadata.name));
  if (onRoute) return buildBehaviour(behaviourSpec(onRoute), ns, { kind: 'WebSocketPolicy', namespace: ns, name: onRoute.metadata.name, target: 'HTTPRoute' });
  // Service policies of the rule's backends, port-level first, in backendRef order.
  const found: Array<{ policy: WebSocketPolicy; target: 'Service' | 'ServicePort' }> = [];
  for (const b of rule.backends) {
    if (!b.valid) continue;
    const onPort = b.portName ? winners.get(targetKey('Service', b.namespace, b.name, b.portName)) : undefined;
    const onService = winners.get(targetKey('Service', b.namespace, b.name));
    const pick = onPort ? { policy: onPort, target: 'ServicePort' as const } : onService ? { policy: onService, target: 'Service' as const } : undefined;
    if (pick && !found.some((f) => f.policy === pick.policy)) found.push(pick);
  }
  if (found.length === 0) return buildBehaviour({}, ns, { kind: 'Default' });
  const [first, ...rest] = found;
  const pns = nsOf(first!.policy.metadata);
  return buildBehaviour(
    behaviourSpec(first!.policy),
    pns,
    { kind: 'WebSocketPolicy', namespace: pns, name: first!.policy.metadata.name, target: first!.target },
    rest.map((f) => policyKey(f.policy)),
  );
}
