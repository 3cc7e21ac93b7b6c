// ReferenceGrant checks and label selectors.

import type { LabelSelector, ReferenceGrant } from './types.js';

export interface RefFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface RefTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Whether a reference from an object to one in another namespace is allowed: a same-namespace
 * reference always is; a cross-namespace one needs a ReferenceGrant in the target's namespace
 * whose `from` names the referrer's group, kind and namespace and whose `to` names the target's
 * group and kind and, when it has a name, the target's name.
 */
export function referenceAllowed(grants: readonly ReferenceGrant[], from: RefFrom, to: RefTo): boolean {
  if (from.namespace === to.namespace) return true;
  return grants.some(
    (g) =>
      (g.metadata.namespace ?? 'default') === to.namespace &&
      (g.spec.from ?? []).some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
      (g.spec.to ?? []).some((t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === '' || t.name === to.name)),
  );
}

/** metav1.LabelSelector semantics; an empty selector matches everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an unknown operator selects nothing
    }
  }
  return true;
}
