// Which converter reads a file when --from is not given: a JSON object with Routes, ReRoutes
// or GlobalConfiguration is an ocelot.json; YAML or JSON holding Kubernetes objects is read
// as ingress-nginx (a file of only Services still feeds the Ocelot converter's port choice).

import { isObj, parseKubeObjects } from './documents.js';
import { stripJsonComments } from './jsonc.js';
import type { Format } from './types.js';

export function detectFormat(text: string): Format | undefined {
  const json = stripJsonComments(text).trim();
  if (json.startsWith('{')) {
    try {
      const root: unknown = JSON.parse(json);
      if (isObj(root) && ('Routes' in root || 'ReRoutes' in root || 'GlobalConfiguration' in root)) return 'ocelot';
    } catch {
      // Not JSON: maybe YAML in flow style; the YAML reader decides.
    }
  }
  try {
    if (parseKubeObjects(text).some((o) => o.kind !== '' && o.apiVersion !== '')) return 'ingress-nginx';
  } catch {
    return undefined;
  }
  return undefined;
}
