// Drives the local control plane the way users do: with kubectl and YAML.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { repoRoot } from '../../test/helpers/wsgate-child.js';

export const clusterDir = path.join(repoRoot, 'e2e/.cluster');
export const kubeconfig = path.join(clusterDir, 'kubeconfig');
export const kubectlPath = path.join(clusterDir, 'bin/kubectl');

export function clusterAvailable(): boolean {
  return fs.existsSync(kubeconfig) && fs.existsSync(kubectlPath);
}

/** Whether the e2e node (kubelet + containerd, `make e2e-up` as root) is up beside the control plane. */
export function nodeAvailable(): boolean {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(clusterDir, 'cluster.json'), 'utf8')) as { node?: boolean };
    return info.node === true && fs.existsSync(path.join(clusterDir, 'node/containerd/containerd.sock'));
  } catch {
    return false;
  }
}

/** Conditions as `{ Type: 'Status/Reason' }`, for comparing statuses in one assertion. */
export function briefConditions(conditions: ReadonlyArray<{ type: string; status: string; reason: string }> | undefined): Record<string, string> {
  return Object.fromEntries((conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
}

/** `kubectl get ARGS -n NAMESPACE -o json`, parsed. */
export async function getJsonIn(namespace: string, args: string[]): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(await kubectlOk([...args, '-n', namespace, '-o', 'json']));
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    // No kubectl (no cluster: a CI=true run fails in before(), then after() still cleans up):
    // spawn fails without an exit, which would otherwise leave the promise pending forever.
    child.on('error', (err) => resolve({ code: null, stdout, stderr: `${stderr}${String(err)}` }));
    // A kubectl that exits without reading its input (most commands) can make this write fail
    // with EPIPE; its exit code is what counts, not an uncaught error in the test process.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** kubectl that must succeed. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export function toYaml(objects: object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

export function apply(objects: object[]): Promise<string> {
  return kubectlOk(['apply', '-f', '-'], toYaml(objects));
}

export { eventually } from '../../test/helpers/eventually.js';

export function service(namespace: string, name: string, ports: Array<{ name?: string; port: number }>): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    // Selector-less: the tests own the EndpointSlices, as there is no controller-manager.
    spec: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) },
  };
}

export interface SliceEndpoint {
  ip: string;
  ready?: boolean;
  terminating?: boolean;
}

export function endpointSlice(
  namespace: string,
  name: string,
  serviceName: string,
  port: { name?: string; port: number },
  endpoints: SliceEndpoint[],
  addressType: 'IPv4' | 'IPv6' = 'IPv4',
): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType,
    ports: [{ name: port.name ?? '', port: port.port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false },
    })),
  };
}

export function wsRoute(namespace: string, name: string, spec: object): object {
  return { apiVersion: 'wsgate.io/v1alpha1', kind: 'WebSocketRoute', metadata: { name, namespace }, spec };
}
