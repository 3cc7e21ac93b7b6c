// The real framework servers (SignalR hub, Socket.IO, graphql-ws: test/helpers/framework-backend.ts)
// as pods on the e2e node, from the image wsgate-e2e-frameworks:dev (e2e/node/image.sh), and what
// the Gateway API e2e files that use them share: whether the node is up, a Deployment + Service,
// the Ready pods with their IPs, and what each pod received (read from the pod IP: the host is
// the node, so pods are reachable from the test process).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { clusterDir, eventually, kubectlOk } from './cluster.js';
import { POD_APP_PORT, podApp } from './pod-app.js';

export const FRAMEWORKS_IMAGE = 'docker.io/library/wsgate-e2e-frameworks:dev';

function clusterInfo(): { node?: boolean } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(clusterDir, 'cluster.json'), 'utf8')) as { node?: boolean };
  } catch {
    return undefined;
  }
}
export const nodeUp = clusterInfo()?.node === true && fs.existsSync(path.join(clusterDir, 'node/containerd/containerd.sock'));
/** The describe's skip: a reason on a dev machine without the node; never under CI=true. */
export const nodeSkip = !nodeUp && process.env.CI !== 'true' ? 'no e2e node (make e2e-up as root starts one)' : false;

/** Fails (with what to do) unless the node's containerd has the framework image. */
export async function assertFrameworksImage(): Promise<void> {
  assert.ok(nodeUp, 'CI=true needs the e2e node: e2e/run.sh starts it (as root)');
  const out = await new Promise<string>((resolve, reject) => {
    execFile(path.join(clusterDir, 'bin/crictl'), ['--runtime-endpoint', `unix://${path.join(clusterDir, 'node/containerd/containerd.sock')}`, 'images', '-o', 'json'], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  const tags = (JSON.parse(out) as { images: Array<{ repoTags: string[] }> }).images.flatMap((i) => i.repoTags);
  assert.ok(tags.includes(FRAMEWORKS_IMAGE), `${FRAMEWORKS_IMAGE} is not on the node: run e2e/node/image.sh (or --frameworks-only)`);
}

/** A Deployment of `replicas` framework pods labelled app=`app` and a Service `app` on port 80. */
export function frameworksApp(namespace: string, app: string, replicas: number): object[] {
  return podApp({ namespace, app, replicas, image: FRAMEWORKS_IMAGE, container: 'frameworks', portName: 'http', memory: { request: '48Mi', limit: '192Mi' } });
}

export interface Pod {
  name: string;
  ip: string;
}

interface PodList {
  items: Array<{ metadata: { name: string; deletionTimestamp?: string }; status: { podIP?: string; conditions?: Array<{ type: string; status: string }> } }>;
}

/** The pods of app=`app` once exactly `n` exist and all are Ready (none terminating), by name. */
export function readyPods(namespace: string, app: string, n: number): Promise<Pod[]> {
  return eventually(`${n} Ready pods of ${app}`, async () => {
    const list = JSON.parse(await kubectlOk(['get', 'pods', '-n', namespace, '-l', `app=${app}`, '-o', 'json'])) as PodList;
    const ready = list.items.filter((p) => !p.metadata.deletionTimestamp && p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (ready.length !== n || list.items.length !== n) return undefined;
    return ready.map((p) => ({ name: p.metadata.name, ip: p.status.podIP! })).sort((a, b) => a.name.localeCompare(b.name));
  }, 480, 250);
}

export interface PodRequest {
  method: string;
  url: string;
}

/** Every request the pod's server received so far (its readiness probes included). */
export async function podRequests(pod: Pod): Promise<PodRequest[]> {
  const res = await fetch(`http://${pod.ip}:${POD_APP_PORT}/requests`);
  assert.equal(res.status, 200, `GET /requests of ${pod.name}`);
  const body = (await res.json()) as { backend: string; requests: PodRequest[] };
  assert.equal(body.backend, pod.name);
  return body.requests;
}
