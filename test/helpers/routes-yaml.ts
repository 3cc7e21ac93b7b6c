import fs from 'node:fs';
import { stringify } from 'yaml';
import type { WsgateChild } from './wsgate-child.js';

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

export function writeRoutes(file: string, routes: RouteDoc[]): void {
  fs.writeFileSync(file, routesYaml(routes));
}

/** Rewrites the route file and resolves once wsgate swapped in the new table. */
export async function reloadRoutes(gw: WsgateChild, file: string, routes: RouteDoc[]): Promise<void> {
  const done = gw.waitForLog(/routing table updated/);
  writeRoutes(file, routes);
  await done;
}
