// apiVersion, kind and the metadata a route needs. The CRD schema leaves these to the
// apiserver (it cannot constrain metadata), so standalone mode checks them here.

import { isDns1123Label, isDns1123Subdomain } from './formats.js';
import type { Problem } from './problem.js';
import { API_VERSION, KIND } from './types.js';

export interface IdentityResult {
  problems: Problem[];
  /** False when the document is some other resource: its spec is not worth checking. */
  isRoute: boolean;
}

export function checkIdentity(doc: Record<string, unknown>): IdentityResult {
  const problems: Problem[] = [];
  const { apiVersion, kind, metadata } = doc;
  if (kind === undefined) problems.push({ field: 'kind', reason: `is required (${KIND})` });
  else if (kind !== KIND) {
    problems.push({ field: 'kind', reason: `kind ${describe(kind)} is not ${KIND}` });
    return { problems, isRoute: false };
  }
  if (apiVersion === undefined) problems.push({ field: 'apiVersion', reason: `is required (${API_VERSION})` });
  else if (apiVersion !== API_VERSION) problems.push({ field: 'apiVersion', reason: `must be ${API_VERSION}, not ${describe(apiVersion)}` });

  if (metadata === undefined || metadata === null) {
    problems.push({ field: 'metadata', reason: 'is required (with at least a name)' });
  } else if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    problems.push({ field: 'metadata', reason: 'must be a mapping' });
  } else {
    const { name, namespace } = metadata as Record<string, unknown>;
    if (name === undefined || name === null || name === '') problems.push({ field: 'metadata.name', reason: 'is required' });
    else if (typeof name !== 'string' || !isDns1123Subdomain(name)) {
      problems.push({
        field: 'metadata.name',
        reason: "must be a DNS subdomain: lowercase letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit",
      });
    }
    if (namespace !== undefined && namespace !== null && (typeof namespace !== 'string' || !isDns1123Label(namespace))) {
      problems.push({
        field: 'metadata.namespace',
        reason: "must be a DNS label: lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit",
      });
    }
  }
  return { problems, isRoute: true };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
