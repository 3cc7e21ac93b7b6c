// Hostname matching between a Listener and an HTTPRoute, as the HTTPRoute `hostnames` field
// documents it: a wildcard `*.example.com` is a suffix match (`a.example.com` and
// `a.b.example.com`, never `example.com`), route hostnames that do not match the listener's
// are ignored, and no intersection at all means the route does not attach to that listener.

import { matchesSuffix, wildcardSuffix } from '../api/hostnames.js';

/** True when `host` (exact or wildcard) is covered by the wildcard or exact `pattern`. */
function covers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const suffix = wildcardSuffix(pattern); // ".example.com"
  if (suffix === undefined) return false;
  // "*.example.com" covers "a.example.com", "a.b.example.com" and "*.a.example.com"
  // (every name the narrower wildcard can match is a name the wider one matches).
  return matchesSuffix(wildcardSuffix(host) ?? host, suffix);
}

/**
 * The hostnames a route serves on a listener. `undefined` means no intersection (the route
 * must not attach); `[]` means any host (neither side restricts it).
 */
export function intersectHostnames(listenerHostname: string | undefined, routeHostnames: readonly string[] | undefined): string[] | undefined {
  const route = [...new Set((routeHostnames ?? []).map((h) => h.toLowerCase()))];
  const listener = listenerHostname?.toLowerCase();
  if (!listener) return route.sort();
  if (route.length === 0) return [listener];
  const out = new Set<string>();
  for (const h of route) {
    if (covers(listener, h)) out.add(h); // the route's name is the narrower one
    else if (covers(h, listener)) out.add(listener); // the listener's is
  }
  return out.size === 0 ? undefined : [...out].sort();
}
