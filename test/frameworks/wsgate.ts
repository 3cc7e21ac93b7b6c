// Shared setup of the framework suites: two framework backends behind one `wsgate standalone`
// process, with the routes a suite writes for them.

import fs from 'node:fs';
import path from 'node:path';
import { startFrameworkBackend, type FrameworkBackend } from '../helpers/framework-backend.js';
import { routesYaml, type RouteDoc } from '../helpers/routes-yaml.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

export interface FrameworkWsgate {
  backends: FrameworkBackend[];
  gw: WsgateChild;
  /** http://127.0.0.1:<proxy port> */
  httpUrl: string;
  close(): Promise<void>;
}

export const endpointsOf = (backends: FrameworkBackend[]) => backends.map((b) => ({ host: '127.0.0.1', port: b.port }));

export async function startFrameworkWsgate(routes: (backends: FrameworkBackend[]) => RouteDoc[]): Promise<FrameworkWsgate> {
  const backends = await Promise.all(['fw-a', 'fw-b'].map((name) => startFrameworkBackend({ name })));
  let gw: WsgateChild;
  try {
    const file = path.join(tempDir('wsgate-fw-'), 'routes.yaml');
    fs.writeFileSync(file, routesYaml(routes(backends)));
    gw = await startWsgate(['standalone', '--config', file]);
  } catch (err) {
    await Promise.all(backends.map((b) => b.close()));
    throw err;
  }
  return {
    backends,
    gw,
    httpUrl: `http://127.0.0.1:${gw.proxyPort}`,
    close: async () => {
      await gw.stop();
      await Promise.all(backends.map((b) => b.close()));
    },
  };
}

/** Requests each backend recorded from index `from[i]` on (a snapshot taken with `marks`). */
export const marks = (backends: FrameworkBackend[]) => backends.map((b) => b.requests.length);
export const since = (backends: FrameworkBackend[], from: number[]) => backends.map((b, i) => b.requests.slice(from[i]));
