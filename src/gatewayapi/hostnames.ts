// Hostname matching between a Listener and an HTTPRoute, as the HTTPRoute `hostnames` field
// documents it: a wildcard `*.example.com` is a suffix match (`a.example.com` and
// `a.b.example.com`, never `example.com`), route hostnames that do not match the listener's
// are ignored, and no intersection at all means the route does not attach to that listener.

/** True when `host` (exact or wildcard) is covered by the wildcard or exact `pattern`. */
function covers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // ".example.com"
  // "*.example.com" covers "a.example.com", "a.b.example.com" and "*.a.example.com"
  // (every name the narrower wildcard can match is a name the wider one matches).
  const bare = host.startsWith('*.') ? host.slice(1) : host;
  return bare.length > suffix.length && bare.endsWith(suffix);
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

/** Whether a request Host (no port, lower case) matches a hostname of the model. */
export function hostMatches(hostname: string, host: string): boolean {
  return hostname.startsWith('*.') ? host.length > hostname.length - 1 && host.endsWith(hostname.slice(1)) : hostname === host;
}
