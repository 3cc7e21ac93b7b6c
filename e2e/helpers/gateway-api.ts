// What the Gateway API e2e files share: the CRDs they need, a GatewayClass with one Gateway of
// one HTTP listener, and a `wsgate controller` with --gateway-api on and its own address pool.

import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, startWsgate, type WsgateChild } from '../../test/helpers/wsgate-child.js';
import { eventually, kubeconfig, kubectl, kubectlOk } from './cluster.js';
import { podApp } from './pod-app.js';

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
  const crds = ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants', 'backendtlspolicies'].map((k) => `crd/${k}.${GATEWAY}`);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...crds, 'crd/websocketpolicies.wsgate.io', 'crd/websocketroutes.wsgate.io']);
}

const SAFE_UPGRADES = 'safe-upgrades.gateway.networking.k8s.io';

/**
 * The vendored experimental-channel Gateway API CRDs (a superset of the standard ones; fields
 * such as rules[].sessionPersistence exist only there) and wsgate's, applied and Established.
 * The release's safe-upgrades ValidatingAdmissionPolicy refuses experimental CRDs over the
 * standard ones other e2e files install, so on this throwaway cluster it is deleted first and
 * applied again after the CRDs (as e2e/gateway/conformance.sh does). The admission plugin may
 * still hold the deleted policy for a moment: the apply is retried, bounded.
 */
export async function installExperimentalGatewayCrds(): Promise<void> {
  const dir = path.join(repoRoot, 'crds/gateway-api-experimental');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const crdFiles = files.filter((f) => !f.includes('_vap_'));
  const vapFiles = files.filter((f) => f.includes('_vap_'));
  await kubectlOk(['delete', '--ignore-not-found', `validatingadmissionpolicybinding/${SAFE_UPGRADES}`, `validatingadmissionpolicy/${SAFE_UPGRADES}`]);
  const applyAll = (names: string[]) => kubectlOk(['apply', '--server-side', '--force-conflicts', ...names.flatMap((f) => ['-f', path.join(dir, f)])]);
  await eventually('experimental Gateway API CRDs applied, then the safe-upgrades policy', async () => {
    await applyAll(crdFiles);
    await applyAll(vapFiles);
    return true;
  }, 20, 500);
  await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds/wsgate.io_websocketpolicies.yaml'), '-f', path.join(repoRoot, 'crds/wsgate.io_websocketroutes.yaml')]);
  // crd/<plural>.<group> from gateway.networking.k8s.io_<plural>.yaml (and the x-k8s.io group's).
  const crds = crdFiles.map((f) => `crd/${f.replace(/^(gateway\.networking\.(?:x-)?k8s\.io)_(.*)\.yaml$/, '$2.$1')}`);
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

/** The first address of Gateway `name` once it is Programmed with `routes` routes attached to its first listener. */
export function programmedAddress(namespace: string, name: string, routes = 1): Promise<string> {
  return eventually(`Gateway ${name} programmed with an address and ${routes} route(s)`, async () => {
    const o = JSON.parse(await kubectlOk(['get', 'gateway', name, '-n', namespace, '-o', 'json'])) as {
      status?: { conditions?: Condition[]; addresses?: Array<{ value: string }>; listeners?: Array<{ attachedRoutes: number }> };
    };
    const programmed = o.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True');
    return programmed && o.status?.listeners?.[0]?.attachedRoutes === routes ? o.status.addresses?.[0]?.value : undefined;
  }, 240, 250);
}

/** A test's teardown: its namespace (not waited for) and its GatewayClass, each gone or never made. */
export async function deleteGatewayTestObjects(namespace: string, className: string): Promise<void> {
  await kubectl(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  await kubectl(['delete', 'gatewayclass', className, '--ignore-not-found']);
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
  return podApp({ namespace, app, replicas, image: 'wsgate-e2e-backend:dev', container: 'echo', portName: 'ws', memory: { request: '32Mi', limit: '128Mi' } });
}
