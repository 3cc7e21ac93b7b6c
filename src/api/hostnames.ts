// How a host pattern of the API matches a name, written once for every place that matches one:
// route hosts (routing/route-index.ts, routing/table.ts), certificates by SNI name
// (proxy/sni-index.ts), Gateway API listener and route hostnames (gatewayapi/hostnames.ts) and
// Origin patterns (security/origin.ts). A wildcard `*.example.com` covers one or more labels
// below example.com (`a.example.com`, `a.b.example.com`), never `example.com` itself. Names are
// compared as given: callers lower-case them and drop a trailing dot first.

/** "*.example.com" -> ".example.com" (the suffix a covered name ends with); undefined for an exact name. */
export function wildcardSuffix(pattern: string): string | undefined {
  return pattern.startsWith('*.') ? pattern.slice(1) : undefined;
}

/** Whether `name` ends with `suffix` (".example.com") below at least one label of its own. */
export function matchesSuffix(name: string, suffix: string): boolean {
  return name.length > suffix.length && name.endsWith(suffix);
}

/** Whether a name (a request Host, an SNI name) matches a pattern: exact, or a wildcard. */
export function hostMatches(pattern: string, name: string): boolean {
  const suffix = wildcardSuffix(pattern);
  return suffix === undefined ? pattern === name : matchesSuffix(name, suffix);
}
