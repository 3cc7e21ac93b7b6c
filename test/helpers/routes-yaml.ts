import { stringify } from 'yaml';

export interface RouteDoc {
  name: string;
  namespace?: string;
  spec: Record<string, unknown>;
}

/** Multi-document YAML of WebSocketRoutes, as a user would write the standalone file. */
export function routesYaml(routes: RouteDoc[]): string {
  return routes
    .map((r) =>
      stringify({
        apiVersion: 'wsgate.io/v1alpha1',
        kind: 'WebSocketRoute',
        metadata: { name: r.name, namespace: r.namespace ?? 'default' },
        spec: r.spec,
      }),
    )
    .join('---\n');
}
