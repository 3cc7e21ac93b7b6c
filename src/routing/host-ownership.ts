// Host ownership (--host-ownership namespace): in a shared cluster a route of one namespace must
// not take requests for another team's host, e.g. a more specific path on it. The namespace of the
// oldest accepted route on a host owns the host; a route of another namespace that names it is
// refused (Accepted=False, HostOwnedByOtherNamespace) unless a route of the owner lists that
// namespace in spec.hostSharing.namespaces. Pure: decided from the route objects alone, in age
// order (creationTimestamp, then namespace/name), so every replica and proxy decides the same.
//
// Hosts are compared as written (lowercased): "*.example.com" is a host of its own, and owning
// it does not own "a.example.com". Routes without hosts (any host) own nothing and are not refused.

import type { HostOwnership } from '../api/types.js';
import { compareStrings } from '../api/string-order.js';
import type { ValidEntry } from './compile-cache.js';

export const HOST_OWNED_REASON = 'HostOwnedByOtherNamespace';

interface Owner {
  readonly namespace: string;
  readonly key: string;
}

/** Route key -> why it is refused. Empty with `shared`. */
export function hostOwnershipLosers(candidates: readonly ValidEntry[], mode: HostOwnership): Map<string, string> {
  const losers = new Map<string, string>();
  if (mode === 'shared') return losers;
  // What each namespace shares, per host: any of its routes naming the host may share it.
  const sharing = new Map<string, Set<string>>();
  for (const c of candidates) {
    const shared = c.raw.spec.hostSharing?.namespaces ?? [];
    if (shared.length === 0) continue;
    for (const host of c.route.hosts) {
      const k = sharingKey(c.route.namespace, host);
      const set = sharing.get(k) ?? new Set<string>();
      for (const ns of shared) set.add(ns);
      sharing.set(k, set);
    }
  }
  const order = [...candidates].sort((a, b) => compareStrings(a.created, b.created) || compareStrings(a.route.key, b.route.key));
  const owners = new Map<string, Owner>();
  for (const { route } of order) {
    const taken = route.hosts.find((host) => {
      const owner = owners.get(host);
      return owner !== undefined && owner.namespace !== route.namespace && !sharing.get(sharingKey(owner.namespace, host))?.has(route.namespace);
    });
    if (taken !== undefined) {
      const owner = owners.get(taken)!;
      losers.set(
        route.key,
        `host "${taken}" is owned by namespace ${owner.namespace} (route ${owner.key}, the oldest accepted route on it); a route there can share it with spec.hostSharing.namespaces`,
      );
      continue;
    }
    // A refused route owns nothing; an accepted one owns the hosts nobody owned before it.
    for (const host of route.hosts) if (!owners.has(host)) owners.set(host, { namespace: route.namespace, key: route.key });
  }
  return losers;
}

function sharingKey(namespace: string, host: string): string {
  return `${namespace}\u0000${host}`;
}
