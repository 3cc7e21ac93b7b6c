// The Gateway API resources the controller reads, and which of them the apiserver serves
// (discovered once at start: --gateway-api=auto turns the Gateway API side on when they are).

import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GATEWAY_GROUP, POLICY_API_VERSION, POLICY_GROUP } from '../gatewayapi/types.js';

export const GATEWAY_API_GROUP = GATEWAY_GROUP;
/** The version of GatewayClass, Gateway and HTTPRoute read and written (standard channel). */
export const GATEWAY_API_VERSION = 'v1';
export const POLICY_GROUP_NAME = POLICY_GROUP;
export const POLICY_API_VERSION_NAME = POLICY_API_VERSION.split('/')[1]!;

/** What the apiserver serves of what wsgate reads. */
export interface ServedGatewayApi {
  /** GatewayClass, Gateway and HTTPRoute in gateway.networking.k8s.io/v1. */
  readonly core: boolean;
  /** ReferenceGrant is v1 since Gateway API v1.5, v1beta1 before; absent: no grant is ever found. */
  readonly referenceGrantVersion?: 'v1' | 'v1beta1';
  /** wsgate.io/v1alpha1 WebSocketPolicy (crds/): absent, HTTPRoutes get the default behaviour. */
  readonly policies: boolean;
  /** ListenerSet in gateway.networking.k8s.io/v1 (standard channel since v1.5): absent, none is read. */
  readonly listenerSets: boolean;
  /** gateway.networking.k8s.io/v1 BackendTLSPolicy: absent, backends are reached as their appProtocol says. */
  readonly backendTLSPolicies?: boolean;
}

async function resources(custom: CustomObjectsApi, group: string, version: string): Promise<Set<string>> {
  try {
    const list = await custom.getAPIResources({ group, version });
    return new Set((list.resources ?? []).map((r) => r.name));
  } catch (err) {
    if ((err as { code?: number }).code === 404) return new Set();
    throw err;
  }
}

export async function discoverGatewayApi(kc: KubeConfig): Promise<ServedGatewayApi> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const [v1, v1beta1, policy] = await Promise.all([
    resources(custom, GATEWAY_API_GROUP, 'v1'),
    resources(custom, GATEWAY_API_GROUP, 'v1beta1'),
    resources(custom, POLICY_GROUP_NAME, POLICY_API_VERSION_NAME),
  ]);
  const core = ['gatewayclasses', 'gateways', 'httproutes'].every((r) => v1.has(r));
  const referenceGrantVersion = v1.has('referencegrants') ? 'v1' : v1beta1.has('referencegrants') ? 'v1beta1' : undefined;
  return {
    core,
    ...(referenceGrantVersion ? { referenceGrantVersion } : {}),
    policies: policy.has('websocketpolicies'),
    listenerSets: v1.has('listenersets'),
    backendTLSPolicies: v1.has('backendtlspolicies'),
  };
}
