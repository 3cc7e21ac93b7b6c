// Pure: translate()'s statuses -> the status writes the leader sends, only those that change
// what the object says (conditions compared without lastTransitionTime). Two things the
// translator cannot know are folded in here: the compiler's conflicts of an HTTPRoute with a
// WebSocketRoute, and Gateway ports that got no data-plane socket (gateway-socket-plan.ts).

import type { Condition } from '../api/types.js';
import type { TranslateOutput } from '../gatewayapi/model.js';
import type { GatewayStatus, ListenerStatus, RouteParentStatus } from '../gatewayapi/types.js';
import { gatewayPortId } from '../routing/gateway-types.js';

/**
 * Accepted=False reason on an HTTPRoute's parents when the compiler found it claims the same
 * requests as a WebSocketRoute (src/routing/precedence.ts): a wsgate reason, the spec has none
 * for conflicts between route kinds.
 */
export const CONFLICT_REASON = 'ConflictsWithWebSocketRoute';

export type StatusKind = 'GatewayClass' | 'Gateway' | 'ListenerSet' | 'HTTPRoute' | 'WebSocketPolicy' | 'BackendTLSPolicy';

export interface StatusWrite {
  readonly kind: StatusKind;
  /** Absent for the cluster-scoped GatewayClass. */
  readonly namespace?: string;
  readonly name: string;
  readonly status: Record<string, unknown>;
  /** The resourceVersion of the object the write was computed from. */
  readonly resourceVersion?: string;
  /**
   * Set where the write replaces a list other controllers write to as well (HTTPRoute
   * status.parents, WebSocketPolicy status.ancestors): the patch carries `resourceVersion` and
   * fails with 409 if the object changed since it was read, instead of dropping another
   * controller's entry.
   */
  readonly guarded: boolean;
  /** The informer's object the write was computed from (the writer remembers what it sent for it). */
  readonly basis: object;
}

/** An object as the informer holds it: what the write is compared with. */
export interface Current {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly resourceVersion?: string };
  readonly status?: unknown;
}

export interface StatusInputs {
  readonly out: TranslateOutput;
  readonly gatewayClasses: readonly Current[];
  readonly gateways: readonly Current[];
  /** Absent: no ListenerSet is watched. */
  readonly listenerSets?: readonly Current[];
  readonly httpRoutes: readonly Current[];
  readonly policies: readonly Current[];
  /** Absent: BackendTLSPolicies are not served (none to write). */
  readonly backendTLSPolicies?: readonly Current[];
  readonly controllerName: string;
  /** RFC 3339, for conditions this module changes. */
  readonly now: string;
  /** HTTPRoute routeKey (`HTTPRoute/<ns>/<name>`) -> why it conflicts with a WebSocketRoute. */
  readonly conflicts?: ReadonlyMap<string, string>;
  /** gatewayPortId -> why that Gateway port has no socket. */
  readonly socketProblems?: ReadonlyMap<string, string>;
}

const nsName = (m: { namespace?: string; name: string }) => `${m.namespace ?? 'default'}/${m.name}`;

export function statusWrites(inputs: StatusInputs): StatusWrite[] {
  const { out } = inputs;
  const writes: StatusWrite[] = [];
  const byName = (list: readonly Current[], key: (c: Current) => string) => new Map(list.map((c) => [key(c), c]));
  const add = (kind: StatusKind, current: Current | undefined, status: Record<string, unknown>, name: string, namespace?: string, guarded = false) => {
    if (!current || sameStatus(current.status, status)) return;
    const rv = current.metadata.resourceVersion;
    writes.push({ kind, name, ...(namespace !== undefined ? { namespace } : {}), status, ...(rv ? { resourceVersion: rv } : {}), guarded: guarded && !!rv, basis: current });
  };

  const classes = byName(inputs.gatewayClasses, (c) => c.metadata.name);
  for (const [name, r] of out.gatewayClasses) add('GatewayClass', classes.get(name), { conditions: r.conditions, supportedFeatures: r.supportedFeatures }, name);

  const gateways = byName(inputs.gateways, (c) => nsName(c.metadata));
  for (const [k, r] of out.gateways) {
    const current = gateways.get(k);
    const status = withSocketProblems(r.namespace, r.name, r.status, current, inputs.socketProblems, inputs.now);
    add('Gateway', current, status as unknown as Record<string, unknown>, r.name, r.namespace);
  }

  const listenerSets = byName(inputs.listenerSets ?? [], (c) => nsName(c.metadata));
  for (const [k, r] of out.listenerSets) add('ListenerSet', listenerSets.get(k), r.status as unknown as Record<string, unknown>, r.name, r.namespace);

  const routes = byName(inputs.httpRoutes, (c) => nsName(c.metadata));
  for (const [k, r] of out.httpRoutes) {
    const current = routes.get(k);
    const conflict = inputs.conflicts?.get(`HTTPRoute/${k}`);
    const parents = conflict === undefined ? r.parents : withConflict(r.parents, currentParents(current), conflict, inputs.controllerName, inputs.now);
    add('HTTPRoute', current, { parents }, r.name, r.namespace, true);
  }

  const policies = byName(inputs.policies, (c) => nsName(c.metadata));
  for (const [k, r] of out.policies) add('WebSocketPolicy', policies.get(k), { ancestors: r.ancestors }, r.name, r.namespace, true);
  const tlsPolicies = byName(inputs.backendTLSPolicies ?? [], (c) => nsName(c.metadata));
  for (const [k, r] of out.backendTLSPolicies) add('BackendTLSPolicy', tlsPolicies.get(k), { ancestors: r.ancestors }, r.name, r.namespace, true);
  return writes;
}

function currentListeners(c: Current | undefined): ListenerStatus[] {
  return ((c?.status as { listeners?: ListenerStatus[] } | undefined)?.listeners ?? []);
}

function currentParents(c: Current | undefined): RouteParentStatus[] {
  return ((c?.status as { parents?: RouteParentStatus[] } | undefined)?.parents ?? []);
}

/** `next` with the lastTransitionTime `previous` has for its type when the status is the same, else `now`. */
function retimed(next: Omit<Condition, 'lastTransitionTime'>, previous: readonly Condition[] | undefined, now: string): Condition {
  const before = previous?.find((c) => c.type === next.type);
  return { ...next, lastTransitionTime: before && before.status === next.status && before.lastTransitionTime ? before.lastTransitionTime : now };
}

function replace(conditions: readonly Condition[], next: Condition): Condition[] {
  return conditions.some((c) => c.type === next.type) ? conditions.map((c) => (c.type === next.type ? next : c)) : [...conditions, next];
}

/** Our parent entries of a conflicting route: Accepted=False with CONFLICT_REASON. */
function withConflict(parents: readonly RouteParentStatus[], current: readonly RouteParentStatus[], message: string, controllerName: string, now: string): RouteParentStatus[] {
  return parents.map((p) => {
    if (p.controllerName !== controllerName) return p;
    const accepted = p.conditions.find((c) => c.type === 'Accepted');
    const previous = current.find((c) => c.controllerName === controllerName && JSON.stringify(canonical(c.parentRef)) === JSON.stringify(canonical(p.parentRef)));
    const next = retimed({ type: 'Accepted', status: 'False', reason: CONFLICT_REASON, message, observedGeneration: accepted?.observedGeneration ?? 0 }, previous?.conditions, now);
    return { ...p, conditions: replace(p.conditions, next) };
  });
}

/** Listeners whose port got no socket: Conflicted=True/ProtocolConflict, Programmed=False/Invalid. */
function withSocketProblems(
  namespace: string,
  name: string,
  status: GatewayStatus,
  current: Current | undefined,
  problems: ReadonlyMap<string, string> | undefined,
  now: string,
): GatewayStatus {
  if (!problems?.size) return status;
  const spec = (current as { spec?: { listeners?: Array<{ name: string; port: number }> } } | undefined)?.spec;
  const ports = new Map((spec?.listeners ?? []).map((l) => [l.name, l.port]));
  return {
    ...status,
    listeners: status.listeners.map((l) => {
      const port = ports.get(l.name);
      const problem = port === undefined ? undefined : problems.get(gatewayPortId(namespace, name, port));
      if (problem === undefined) return l;
      const gen = l.conditions[0]?.observedGeneration ?? 0;
      const previous = currentListeners(current).find((c) => c.name === l.name)?.conditions;
      let conditions = replace(l.conditions, retimed({ type: 'Conflicted', status: 'True', reason: 'ProtocolConflict', message: problem, observedGeneration: gen }, previous, now));
      conditions = replace(conditions, retimed({ type: 'Programmed', status: 'False', reason: 'Invalid', message: problem, observedGeneration: gen }, previous, now));
      return { ...l, conditions };
    }),
  };
}

/** The same status for a reader: conditions compared without lastTransitionTime, key order ignored. */
export function sameStatus(current: unknown, next: unknown): boolean {
  return JSON.stringify(canonical(current ?? {})) === JSON.stringify(canonical(next));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const isCondition = typeof o.type === 'string' && typeof o.status === 'string' && 'reason' in o;
    return Object.fromEntries(
      Object.keys(o)
        .filter((k) => o[k] !== undefined && !(isCondition && k === 'lastTransitionTime'))
        .sort()
        .map((k) => [k, canonical(o[k])]),
    );
  }
  return v;
}
