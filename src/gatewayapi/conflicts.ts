// What the compiler needs to find a WebSocketRoute and an HTTPRoute entry that claim the same
// requests (issue 15: "conflicts between them are reported on both"). An entry is expressed in
// the terms of src/routing/compile.ts's `signature(host, route)` as of this branch:
// `<host> <template shape> <name=value&...> <subprotocols>`, with `*` for any host and the shape
// of src/routing/template.ts's templateShape(): PathPrefix `/a` is `/a/{*}` (what a WebSocketRoute
// `/a/{rest}` matches), Exact `/a` is `/a` (a literal template). Entries that also match on
// method or query parameters narrow the requests beyond anything a WebSocketRoute can say, so
// they have no signature and never conflict. Which listener port a WebSocketRoute is served on
// is the wiring's decision: compare only entries on the ports WebSocketRoutes use.

import type { GatewayRouteEntry, PathMatch } from './model.js';

/** templateShape() of the WebSocketRoute template that matches the same paths, when there is one. */
export function templateShapeOf(path: PathMatch): string | undefined {
  const parts = path.value.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..' || p.includes('{') || p.includes('}'))) return undefined;
  return path.type === 'Exact' ? `/${parts.join('/')}` : `/${[...parts, '{*}'].join('/')}`;
}

/** The signatures an entry occupies, one per host, comparable with a WebSocketRoute's. */
export function conflictSignatures(entry: GatewayRouteEntry): string[] {
  if (entry.method !== undefined || entry.queryParams.length > 0) return [];
  const shape = templateShapeOf(entry.path);
  if (shape === undefined) return [];
  const headers = entry.headers.map((h) => `${h.name}=${h.value}`).sort().join('&');
  return (entry.hostnames.length ? entry.hostnames : ['*']).map((host) => `${host} ${shape} ${headers} `);
}
