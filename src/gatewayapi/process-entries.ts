// ProcessEntries: one routing-table entry per match of each valid rule on each listener that
// serves the route, with the WebSocket behaviour of the policy that applies, in the spec's
// precedence order.

import { compareStrings } from '../api/string-order.js';
import type { GatewayRouteEntry, ListenerRef } from './model.js';
import { behaviourFor } from './process-policies.js';
import type { RoutesResult } from './process-routes.js';
import { key, nsOf, servedListenerName } from './translate-state.js';
import type { WebSocketPolicy } from './types.js';

export function processEntries(routes: RoutesResult, winners: ReadonlyMap<string, WebSocketPolicy>): GatewayRouteEntry[] {
  const entries: GatewayRouteEntry[] = [];
  for (const route of routes.sorted) {
    const routeNs = nsOf(route.metadata);
    const rk = key(routeNs, route.metadata.name);
    const routeKey = `HTTPRoute/${rk}`;
    const seen = new Set<string>();
    for (const p of routes.parents.get(rk) ?? []) {
      if (p.accepted.status !== 'True') continue;
      for (const { listener: l, hostnames } of p.serving) {
        for (const rule of routes.rules.get(rk) ?? []) {
          if (rule.problems.length) continue;
          const websocket = behaviourFor(winners, route, rule);
          rule.matches.forEach((m, j) => {
            const lref: ListenerRef = {
              gatewayNamespace: l.namespace,
              gatewayName: l.gateway.metadata.name,
              listenerName: servedListenerName(l),
              port: l.listener.port,
              protocol: l.listener.protocol as 'HTTP' | 'HTTPS',
              hostname: (l.listener.hostname ?? '').toLowerCase(),
            };
            const entryKey = `${routeKey}/rule-${rule.index}/match-${j}@${lref.gatewayNamespace}/${lref.gatewayName}/${lref.listenerName}`;
            if (seen.has(entryKey)) return; // two parentRefs selecting the same listener
            seen.add(entryKey);
            entries.push({
              key: entryKey,
              routeKey,
              ruleKey: `${routeKey}/rule-${rule.index}`,
              source: {
                kind: 'HTTPRoute',
                namespace: routeNs,
                name: route.metadata.name,
                generation: route.metadata.generation ?? 0,
                creationTimestamp: route.metadata.creationTimestamp ?? '',
                ruleIndex: rule.index,
                ...(rule.rule.name ? { ruleName: rule.rule.name } : {}),
                matchIndex: j,
              },
              listener: lref,
              hostnames,
              path: m.path,
              headers: m.headers,
              queryParams: m.queryParams,
              ...(m.method ? { method: m.method } : {}),
              filters: rule.filters,
              backends: rule.backends,
              timeouts: rule.timeouts,
              ...(rule.sessionPersistence ? { sessionPersistence: rule.sessionPersistence } : {}),
              ...(rule.retry ? { retry: rule.retry } : {}),
              websocket,
              ...(p.gateway.backendClientCertificate ? { backendClientCertificate: p.gateway.backendClientCertificate } : {}),
              precedence: [
                m.path.type === 'Exact' ? 0 : 1,
                -m.path.value.length,
                m.method ? 0 : 1,
                -m.headers.length,
                -m.queryParams.length,
                route.metadata.creationTimestamp ?? '',
                rk,
                rule.index,
                j,
                entryKey,
              ],
            });
          });
        }
      }
    }
  }
  entries.sort((a, b) => comparePrecedence(a.precedence, b.precedence));
  return entries;
}

/** Element by element; numbers numerically, strings by code unit. */
export function comparePrecedence(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return compareStrings(String(x), String(y));
  }
  return 0;
}
