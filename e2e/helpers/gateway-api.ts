// What the Gateway API e2e files share: the CRDs they need, a GatewayClass with one Gateway of
// one HTTP listener, and a `wsgate controller` with --gateway-api on and its own address pool.

import path from 'node:path';
import { repoRoot, startWsgate, type WsgateChild } from '../../test/helpers/wsgate-child.js';
import { kubeconfig, kubectlOk } from './cluster.js';

export const GATEWAY = 'gateway.networking.k8s.io';

/** A status condition as kubectl returns it. */
export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

/** The vendored Gateway API CRDs and wsgate's, applied and Established. */
export async function installGatewayCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', path.join(repoRoot, 'crds/gateway-api')]);
  await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
  const crds = ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants'].map((k) => `crd/${k}.${GATEWAY}`);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...crds, 'crd/websocketpolicies.wsgate.io', 'crd/websocketroutes.wsgate.io']);
}

/** A Gateway of `className` with one HTTP listener `http` on `port`, for routes of its own namespace. */
export function httpGateway(namespace: string, name: string, className: string, port: number): object {
  return {
    apiVersion: `${GATEWAY}/v1`,
    kind: 'Gateway',
    metadata: { name, namespace },
    spec: { gatewayClassName: className, listeners: [{ name: 'http', port, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
  };
}

export function gatewayClass(name: string, controllerName: string): object {
  return { apiVersion: `${GATEWAY}/v1`, kind: 'GatewayClass', metadata: { name }, spec: { controllerName } };
}

/**
 * `wsgate controller` watching `namespace` only, with its Lease there, Gateway API on under
 * `controllerName` and addresses from `pool`; `extra` flags go last.
 */
export function startGatewayController(
  o: { namespace: string; lease: string; controllerName: string; pool: string; extra?: string[]; listen?: string },
): Promise<WsgateChild> {
  return startWsgate(
    [
      'controller', '--kubeconfig', kubeconfig, '--watch-namespaces', o.namespace,
      '--leader-election-namespace', o.namespace, '--leader-election-id', o.lease,
      '--gateway-api', 'on', '--gateway-controller-name', o.controllerName, '--gateway-address-pool', o.pool,
      ...(o.extra ?? []),
    ],
    o.listen ? { listen: o.listen } : {},
  );
}

/** A Deployment of `replicas` echo pods (wsgate-e2e-backend:dev, greeting with their name and the upgrade's headers) and its Service on port 80. */
export function echoDeployment(namespace: string, app: string, replicas: number): object[] {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace },
      spec: {
        replicas,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app } },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [{
              name: 'echo',
              image: 'wsgate-e2e-backend:dev',
              imagePullPolicy: 'Never',
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ name: 'ws', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, readOnlyRootFilesystem: true, seccompProfile: { type: 'RuntimeDefault' } },
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace }, spec: { selector: { app }, ports: [{ name: 'ws', port: 80, targetPort: 'ws' }] } },
  ];
}
