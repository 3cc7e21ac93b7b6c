// WebSocketPolicy attachment (GEP-713, Direct policies): which policy applies to what, with
// conflicts between policies on the same target decided the GEP-713 way (the oldest wins, then
// the first by namespace/name); the behaviour an entry gets, defaulted like a WebSocketRoute.

import { applyDefaults } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import { API_VERSION, KIND } from '../api/types.js';
import { validateRoute } from '../api/validate.js';
import type { BehaviourSource, WebSocketBehaviour } from './model.js';
import { SHARED_SPEC_FIELDS } from './policy-crd.js';
import type { Meta, WebSocketBehaviourSpec, WebSocketPolicy } from './types.js';
import { GATEWAY_GROUP } from './types.js';

export type TargetKind = 'HTTPRoute' | 'Service';

/** "HTTPRoute/ns/name", "HTTPRoute/ns/name#rule", "Service/ns/name", "Service/ns/name#port". */
export function targetKey(kind: TargetKind, namespace: string, name: string, sectionName?: string): string {
  return `${kind}/${namespace}/${name}${sectionName ? `#${sectionName}` : ''}`;
}

export function targetKindOf(ref: { group: string; kind: string }): TargetKind | undefined {
  if (ref.group === GATEWAY_GROUP && ref.kind === 'HTTPRoute') return 'HTTPRoute';
  if (ref.group === '' && ref.kind === 'Service') return 'Service';
  return undefined;
}

export function policyKey(p: { metadata: Meta }): string {
  return `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}

/** GEP-713 conflict order: older first, then namespace/name. */
export function comparePolicies(a: { metadata: Meta }, b: { metadata: Meta }): number {
  const ca = a.metadata.creationTimestamp ?? '';
  const cb = b.metadata.creationTimestamp ?? '';
  if (ca !== cb) return ca < cb ? -1 : 1;
  const ka = policyKey(a);
  const kb = policyKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The shared fields of a policy spec (targetRefs dropped). */
export function behaviourSpec(p: WebSocketPolicy): WebSocketBehaviourSpec {
  const out: Record<string, unknown> = {};
  for (const f of SHARED_SPEC_FIELDS) if (p.spec[f] !== undefined) out[f] = structuredClone(p.spec[f]);
  return out as WebSocketBehaviourSpec;
}

/**
 * Problems with a policy's behaviour, found by the WebSocketRoute validator (the same schema
 * nodes, the same CEL mirrors and semantic rules) on a route made of the policy's fields.
 */
export function policyProblems(p: WebSocketPolicy): string[] {
  const doc = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: p.metadata.name, namespace: p.metadata.namespace ?? 'default' },
    spec: { match: { path: '/' }, backend: { endpoints: [{ host: '192.0.2.1', port: 1 }] }, ...behaviourSpec(p) },
  };
  return validateRoute(doc).map((x) => `${x.field}: ${x.reason}`);
}

/** The behaviour of a WebSocketRoute with these fields: the same defaults, the same parsing. */
export function buildBehaviour(
  spec: WebSocketBehaviourSpec,
  secretNamespace: string,
  source: BehaviourSource,
  overridden?: readonly string[],
): WebSocketBehaviour {
  const d = applyDefaults({ match: { path: '/' }, backend: {}, ...structuredClone(spec) });
  const shared: Record<string, unknown> = {};
  for (const f of SHARED_SPEC_FIELDS) if (d[f] !== undefined) shared[f] = d[f];
  return {
    spec: shared as WebSocketBehaviourSpec,
    policy: d.loadBalancer.policy,
    ...(d.loadBalancer.hashOn ? { hashOn: d.loadBalancer.hashOn } : {}),
    timeoutsMs: {
      connect: parseDuration(d.timeouts.connect),
      idle: parseDuration(d.timeouts.idle),
      upgrade: parseDuration(d.timeouts.upgrade),
      maxLifetime: d.timeouts.maxLifetime === undefined ? 0 : parseDuration(d.timeouts.maxLifetime),
    },
    drainTimeoutMs: parseDuration(d.drain.timeout),
    secretNamespace,
    source,
    ...(overridden && overridden.length > 0 ? { overridden } : {}),
  };
}
