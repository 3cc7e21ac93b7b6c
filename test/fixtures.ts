import type { WebSocketRoute, WebSocketRouteSpec } from '../src/api/types.js';

/** A minimal valid route for tests; `spec` fields override the defaults. */
export function route(
  name: string,
  spec: Partial<WebSocketRouteSpec> & { match?: WebSocketRouteSpec['match'] },
  meta: Partial<WebSocketRoute['metadata']> = {},
): WebSocketRoute {
  return {
    apiVersion: 'wsgate.io/v1alpha1',
    kind: 'WebSocketRoute',
    metadata: { name, namespace: 'default', generation: 1, ...meta },
    spec: {
      match: { path: '/' },
      backend: { endpoints: [{ host: '127.0.0.1', port: 9000 }] },
      ...spec,
    },
  };
}
