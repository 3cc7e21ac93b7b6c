// Pure: Secrets as the informers hold them -> a SecretResolver for the compiler. The API returns
// `data` base64-encoded; values are decoded here, once per compile.

import type { V1Secret } from '@kubernetes/client-node';
import type { SecretResolver } from '../routing/types.js';

/**
 * Secret types never referenced by routes and often large (Helm keeps whole releases in them):
 * filtered out on the server with a field selector, so the cache does not hold them.
 */
export const SECRET_FIELD_SELECTOR = 'type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token';

export function buildSecretResolver(secrets: readonly V1Secret[], watched: (namespace: string) => boolean): SecretResolver {
  const byName = new Map<string, V1Secret>();
  for (const s of secrets) byName.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
  const decoded = new Map<string, Record<string, Buffer>>();
  return (namespace, name) => {
    const key = `${namespace}/${name}`;
    const secret = byName.get(key);
    if (!secret) {
      return {
        ok: false,
        reason: 'SecretNotFound',
        message: watched(namespace) ? `Secret ${key} not found` : `Secret ${key} not found: wsgate does not watch Secrets in namespace ${namespace} (see --secret-namespaces)`,
      };
    }
    let data = decoded.get(key);
    if (!data) {
      data = {};
      for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, 'base64');
      decoded.set(key, data);
    }
    return { ok: true, data };
  };
}
