// Route files for standalone wsgate, written the way a ConfigMap mount replaces them: a new
// file renamed over the old one, so a reload never reads half a file.

import fs from 'node:fs';
import path from 'node:path';
import { routesYaml, type RouteDoc } from '../../../test/helpers/routes-yaml.js';

export type { RouteDoc };

let counter = 0;

export function writeRoutes(file: string, routes: RouteDoc[]): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}`);
  fs.writeFileSync(tmp, routesYaml(routes));
  fs.renameSync(tmp, file);
}

export const ep = (b: { host?: string; port: number }) => ({ host: b.host ?? '127.0.0.1', port: b.port });
