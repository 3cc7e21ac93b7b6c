// The equality checks that decide reuse (what one compile keeps for the next is compile-cache.ts).
// A compile with a previous output must yield what a compile without one would (test/routing:
// incremental equals full); reuse only skips work whose inputs are unchanged:
//   - route objects are immutable, as the informer caches hold them (a change is a new object),
//     so the same object means the same validation, defaults, templates and conflict signature;
//   - a route's security is a pure function of its spec and the Secrets it looked up, so it is
//     kept when every lookup answers the same again;
//   - its endpoints are kept when the resolver answers with the same list (the memoizing
//     service resolver returns the very same array while a Service and its slices are unchanged).

import type { BackendResolution, CompiledRoute, Endpoint, SecretResolution, SecretResolver } from './types.js';

export interface SecretLookup {
  readonly namespace: string;
  readonly name: string;
  readonly result: SecretResolution;
}

/** True when looking the same Secrets up again answers as before (same data, or same failure). */
export function secretsUnchanged(lookups: readonly SecretLookup[] | null, resolve: SecretResolver | undefined): boolean {
  if (lookups === null || resolve === undefined) return lookups === null && resolve === undefined;
  return lookups.every((l) => sameSecret(l.result, resolve(l.namespace, l.name)));
}

function sameSecret(a: SecretResolution, b: SecretResolution): boolean {
  if (a === b) return true;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason && a.message === b.message;
  const ka = Object.keys(a.data);
  const kb = Object.keys(b.data);
  return ka.length === kb.length && ka.every((k) => b.data[k] !== undefined && a.data[k]!.equals(b.data[k]!));
}

export function sameResolution(a: BackendResolution, b: BackendResolution): boolean {
  if (a === b) return true;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.reason === b.reason && a.message === b.message;
  return sameEndpoints(a.endpoints, b.endpoints);
}

export function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.id !== y.id || x.host !== y.host || x.port !== y.port || x.ready !== y.ready || x.terminating !== y.terminating) return false;
  }
  return true;
}

/** The same compiled route with other endpoints: every other field keeps its object. */
export function withEndpoints(route: CompiledRoute, endpoints: Endpoint[]): CompiledRoute {
  return Object.freeze({
    ...route,
    backend: { ...route.backend, endpoints, eligible: endpoints.filter((e) => e.ready) },
  });
}

/** Wraps a Secret resolver to record what it was asked and what it answered. */
export function recordingResolver(resolve: SecretResolver | undefined): { resolve: SecretResolver | undefined; lookups: SecretLookup[] | null } {
  if (!resolve) return { resolve: undefined, lookups: null };
  const lookups: SecretLookup[] = [];
  return {
    lookups,
    resolve: (namespace, name) => {
      const result = resolve(namespace, name);
      lookups.push({ namespace, name, result });
      return result;
    },
  };
}
