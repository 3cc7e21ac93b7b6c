// Leader-only: sends the Gateway API status writes (gateway-status.ts) as merge patches of the
// status subresources. Errors are logged and left to the next compile, which the informers'
// update of the object (or any other change) brings.

import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { StatusKind, StatusWrite } from './gateway-status.js';
import { GATEWAY_API_GROUP, GATEWAY_API_VERSION, POLICY_API_VERSION_NAME, POLICY_GROUP_NAME } from './gateway-resources.js';

const RESOURCES: Record<StatusKind, { group: string; version: string; plural: string }> = {
  GatewayClass: { group: GATEWAY_API_GROUP, version: GATEWAY_API_VERSION, plural: 'gatewayclasses' },
  Gateway: { group: GATEWAY_API_GROUP, version: GATEWAY_API_VERSION, plural: 'gateways' },
  ListenerSet: { group: GATEWAY_API_GROUP, version: GATEWAY_API_VERSION, plural: 'listenersets' },
  HTTPRoute: { group: GATEWAY_API_GROUP, version: GATEWAY_API_VERSION, plural: 'httproutes' },
  WebSocketPolicy: { group: POLICY_GROUP_NAME, version: POLICY_API_VERSION_NAME, plural: 'websocketpolicies' },
  BackendTLSPolicy: { group: GATEWAY_API_GROUP, version: GATEWAY_API_VERSION, plural: 'backendtlspolicies' },
};

export class GatewayStatusWriter {
  private readonly custom: CustomObjectsApi;
  /**
   * What was sent for an informer object: until the informer replaces it with the written
   * version, a recompile would send the same patch again. Weak: deleted objects leave with it.
   */
  private readonly sent = new WeakMap<object, string>();

  constructor(kc: KubeConfig, private readonly log: Logger) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** Sends the writes one after the other; returns how many were written. */
  async write(writes: readonly StatusWrite[]): Promise<number> {
    let written = 0;
    for (const w of writes) {
      const id = `${w.kind}/${w.namespace ?? ''}/${w.name}`;
      const mark = JSON.stringify(w.status);
      if (this.sent.get(w.basis) === mark) continue;
      const r = RESOURCES[w.kind];
      const body = { ...(w.guarded ? { metadata: { resourceVersion: w.resourceVersion } } : {}), status: w.status };
      const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      try {
        if (w.namespace === undefined) {
          await this.custom.patchClusterCustomObjectStatus({ group: r.group, version: r.version, plural: r.plural, name: w.name, body }, options);
        } else {
          await this.custom.patchNamespacedCustomObjectStatus({ group: r.group, version: r.version, namespace: w.namespace, plural: r.plural, name: w.name, body }, options);
        }
        this.sent.set(w.basis, mark);
        written++;
      } catch (err) {
        const code = (err as { code?: number }).code;
        // 404: deleted meanwhile; 409: changed meanwhile, the informer brings it and we recompute.
        if (code === 409) this.log.debug({ object: id }, 'status write conflicted; retried with the newer object');
        else if (code !== 404) this.log.warn({ object: id, err: String(err) }, 'Gateway API status update failed');
      }
    }
    return written;
  }
}
