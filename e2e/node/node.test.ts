// wsgate on real pods: the chart installed by helm with the image built by `make image`
// (wsgate:dev, pullPolicy Never) in its default split mode (data plane `wsgate proxy` without
// cluster credentials, fed by `wsgate controller --no-proxy`), echo backends as a real Deployment
// behind a real Service, the EndpointSlices written by the controller-manager, and clients
// reaching wsgate through kube-proxy (ClusterIP and NodePort) from the host, which is the node.
//
// Needs the node of e2e/node/node.sh (make e2e-up, or e2e/run.sh). Without it the suite is
// skipped, unless CI=true, where that is a failure.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { repoRoot, tempDir } from '../../test/helpers/wsgate-child.js';
import { clusterDir, eventually, kubeconfig, kubectl, kubectlOk, toYaml, wsRoute } from '../helpers/cluster.js';
import { Fleet, report, type SeqClient } from '../reliability/lib/seq-client.js';

// Parsed kubectl JSON, read field by field in assertions.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function clusterInfo(): Json | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(clusterDir, 'cluster.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
const info = clusterInfo();
const nodeUp = info?.node === true && fs.existsSync(path.join(clusterDir, 'node/containerd/containerd.sock'));
const skip = !nodeUp && process.env.CI !== 'true' ? 'no e2e node (make e2e-up as root starts one)' : false;

const suffix = `${process.pid % 100000}`;
const ns = `node-${suffix}`;
const release = 'wsg';
const fullname = `${release}-wsgate`;
const CLIENTS = 20;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) ?? 1 : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let helmBin = '';
let helmHome = '';
async function helm(args: string[], timeoutMs = 240_000): Promise<Result> {
  return run(helmBin, [...args, '--kubeconfig', kubeconfig], {
    timeoutMs,
    env: { ...process.env, HELM_CONFIG_HOME: path.join(helmHome, 'config'), HELM_CACHE_HOME: path.join(helmHome, 'cache'), HELM_DATA_HOME: path.join(helmHome, 'data') },
  });
}
async function helmOk(args: string[], timeoutMs?: number): Promise<Result> {
  const r = await helm(args, timeoutMs);
  assert.equal(r.code, 0, `helm ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r;
}

async function getJson(args: string[]): Promise<Json> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json']));
}

/** Pod names (of a label selector) that are Ready and not being deleted. */
async function readyPods(selector: string): Promise<string[]> {
  const list = await getJson(['get', 'pods', '-n', ns, '-l', selector]);
  return list.items
    .filter((p: Json) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'))
    .map((p: Json) => p.metadata.name as string)
    .sort();
}
async function allPods(selector: string): Promise<string[]> {
  const list = await getJson(['get', 'pods', '-n', ns, '-l', selector]);
  return list.items.map((p: Json) => p.metadata.name as string).sort();
}

/** The data plane's pods (the proxies). */
const WSGATE_PODS = `app.kubernetes.io/instance=${release},app.kubernetes.io/name=wsgate`;
const CONTROLLER_PODS = `app.kubernetes.io/instance=${release},app.kubernetes.io/name=wsgate-controller`;
const HELD = 200;
const ECHO_PODS = 'app=echo';

/** Waits until exactly `n` pods of `selector` exist and all are Ready (none terminating). */
async function settled(selector: string, n: number, timeoutS = 120): Promise<string[]> {
  return eventually(`${n} Ready pods (${selector})`, async () => {
    const [ready, all] = await Promise.all([readyPods(selector), allPods(selector)]);
    return ready.length === n && all.length === n ? ready : undefined;
  }, timeoutS * 4, 250);
}

/** The route's ready backends as wsgate's leader reports them. */
async function routeReady(n: number): Promise<void> {
  await kubectlOk(['wait', '-n', ns, `--for=jsonpath={.status.backends.ready}=${n}`, '--timeout=120s', 'wsr/echo']);
}

function echoDeployment(replicas: number): object {
  const restricted = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'echo', namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'echo' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'echo' } },
        spec: {
          terminationGracePeriodSeconds: 15,
          containers: [{
            name: 'echo',
            image: 'wsgate-e2e-backend:dev',
            imagePullPolicy: 'Never',
            env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            ports: [{ name: 'ws', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
            // Out of the EndpointSlices (and so out of wsgate's table) before SIGTERM closes.
            lifecycle: { preStop: { sleep: { seconds: 2 } } },
            securityContext: restricted,
            resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
          }],
        },
      },
    },
  };
}

/** One WebSocket to `url`; resolves with the backend that greeted it (the socket stays open). */
function greet(url: string): Promise<{ ws: WebSocket; backend: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: 10_000, perMessageDeflate: false });
    ws.once('message', (d: Buffer) => resolve({ ws, backend: (JSON.parse(d.toString()) as { backend: string }).backend }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}
function count(names: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) m.set(n, (m.get(n) ?? 0) + 1);
  return m;
}
function closeAll(sockets: WebSocket[]): Promise<void> {
  return Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(1000);
    setTimeout(() => ws.terminate(), 3000).unref();
  }))).then(() => undefined);
}

describe('wsgate on a real node: helm install, real pods, kube-proxy', { skip }, () => {
  let clusterIP = '';
  let nodePort = 0;
  let clusterUrl = '';
  let nodePortUrl = '';
  const open: WebSocket[] = [];
  let installed = false;

  before(async () => {
    assert.ok(nodeUp, 'CI=true needs the e2e node: e2e/run.sh starts it (as root)');
    const out = await run('bash', [path.join(repoRoot, 'e2e/chart/install-helm.sh')], { timeoutMs: 15 * 60_000 });
    assert.equal(out.code, 0, out.stderr);
    helmBin = out.stdout.trim().split('\n').pop()!;
    helmHome = tempDir('wsgate-helm-node-');
    const img = await run(path.join(clusterDir, 'bin/crictl'), ['--runtime-endpoint', `unix://${path.join(clusterDir, 'node/containerd/containerd.sock')}`, 'images', '-o', 'json']);
    const tags = (JSON.parse(img.stdout).images as Json[]).flatMap((i) => i.repoTags as string[]);
    for (const t of ['docker.io/library/wsgate:dev', 'docker.io/library/wsgate-e2e-backend:dev']) {
      assert.ok(tags.includes(t), `${t} is not on the node: run make image (e2e/node/image.sh)`);
    }
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
  }, { timeout: 16 * 60_000 });

  after(async () => {
    await closeAll(open.splice(0));
    if (installed) await helm(['uninstall', release, '--namespace', ns, '--wait', '--timeout', '120s']);
    await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
    if (helmHome) fs.rmSync(helmHome, { recursive: true, force: true });
  });

  test('the node is Ready; selector-less Services keep the EndpointSlices a test writes', async () => {
    const node = await getJson(['get', 'node', info.nodeName]);
    assert.equal(node.status.conditions.find((c: Json) => c.type === 'Ready').status, 'True');
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
    // The netns fast path of the other suites: a Service without a selector and a hand-made
    // slice. The EndpointSlice controller leaves such Services alone (and mirroring only
    // applies to hand-made Endpoints), so nothing rewrites or adds slices.
    const objs = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual', namespace: ns }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } },
      {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: { name: 'manual-1', namespace: ns, labels: { 'kubernetes.io/service-name': 'manual' } },
        addressType: 'IPv4', ports: [{ port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: ['10.250.77.2'], conditions: { ready: true } }],
      },
    ];
    await kubectlOk(['apply', '-f', '-'], toYaml(objs));
    const before = await getJson(['get', 'endpointslice', 'manual-1', '-n', ns]);
    // A controller that wanted to act would have done so on the Service's and slice's events;
    // give it a few resyncs of its queue, then check nothing changed.
    await new Promise((r) => setTimeout(r, 3000));
    const slices = await getJson(['get', 'endpointslices', '-n', ns, '-l', 'kubernetes.io/service-name=manual']);
    assert.deepEqual(slices.items.map((s: Json) => s.metadata.name), ['manual-1']);
    assert.equal(slices.items[0].metadata.resourceVersion, before.metadata.resourceVersion, 'the slice is untouched');
    await kubectlOk(['delete', 'service,endpointslice', 'manual', 'manual-1', '-n', ns, '--ignore-not-found']);
  });

  test('helm install (split mode): proxies and controllers Ready, a controller holds the Lease, "restricted" admits them, the root fs is read-only', async () => {
    const r = await helmOk(['install', release, path.join(repoRoot, 'charts/wsgate'), '--namespace', ns,
      '--set', 'image.repository=wsgate,image.tag=dev,image.pullPolicy=Never', '--set', `controller.watchNamespaces={${ns}}`,
      '--wait', '--timeout', '180s']);
    installed = true;
    assert.doesNotMatch(r.stderr, /PodSecurity|would violate/, 'no Pod Security warnings');
    const pods = await settled(WSGATE_PODS, 2);
    const controllers = await settled(CONTROLLER_PODS, 2);
    const lease = await eventually('the Lease has a holder', async () => {
      const l = await getJson(['get', 'lease', `${fullname}-leader`, '-n', ns]);
      return l.spec.holderIdentity ? (l.spec.holderIdentity as string) : undefined;
    }, 240, 250);
    assert.ok(controllers.some((p) => lease.startsWith(p)), `Lease holder ${lease} is one of the controllers ${controllers.join(', ')}`);
    const pod = await getJson(['get', 'pod', pods[0]!, '-n', ns]);
    assert.equal(pod.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
    assert.equal(pod.spec.containers[0].image, 'wsgate:dev');
    // Inside the running container: / refuses writes, the /tmp emptyDir takes them.
    const probe = `const fs=require('fs');let ro='';try{fs.writeFileSync('/app/x','1')}catch(e){ro=e.code}fs.writeFileSync('/tmp/x','1');console.log(ro+' '+process.getuid())`;
    const out = (await kubectlOk(['exec', '-n', ns, pods[0]!, '--', 'node', '-e', probe])).trim();
    assert.equal(out, 'EROFS 10001');
    const svc = await getJson(['get', 'service', fullname, '-n', ns]);
    clusterIP = svc.spec.clusterIP;
    nodePort = svc.spec.ports[0].nodePort;
    assert.ok(clusterIP.startsWith(info.serviceCIDR.split('.').slice(0, 2).join('.')), clusterIP);
    clusterUrl = `ws://${clusterIP}:${svc.spec.ports[0].port}/echo/room`;
    nodePortUrl = `ws://${info.nodeIP}:${nodePort}/echo/room`;
    report('node install', { pods: pods.join(','), controllers: controllers.join(','), leaseHolder: lease, clusterIP, nodePort });
  });

  test('the data plane holds no credentials: no token volume in its pods, and its ServiceAccount may do nothing an authenticated user may not', async () => {
    const proxies = await readyPods(WSGATE_PODS);
    assert.equal(proxies.length, 2);
    for (const name of proxies) {
      const pod = await getJson(['get', 'pod', name, '-n', ns]);
      assert.equal(pod.spec.automountServiceAccountToken, false);
      const projected = (pod.spec.volumes as Json[]).filter((v) => v.projected?.sources?.some((src: Json) => src.serviceAccountToken));
      assert.deepEqual(projected, [], `${name}: no projected service-account token volume`);
      assert.ok(pod.spec.containers.every((c: Json) => !(c.volumeMounts as Json[]).some((m) => m.mountPath.startsWith('/var/run/secrets/kubernetes.io'))));
      // Inside the running container: no token file, and the stream's certificates are there
      // (beside the Secret volume's own dot-entries).
      const probe = `const fs=require('fs');console.log(fs.existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')+' '+fs.readdirSync('/etc/wsgate/stream').filter((f)=>!f.startsWith('.')).sort().join(','))`;
      assert.equal((await kubectlOk(['exec', '-n', ns, name, '--', 'node', '-e', probe])).trim(), 'false ca.crt,tls.crt,tls.key');
    }
    const list = async (as: string) => (await kubectlOk(['auth', 'can-i', '--list', `--as=${as}`, '-n', ns])).trim();
    const proxySa = `system:serviceaccount:${ns}:${fullname}`;
    const nobody = `system:serviceaccount:${ns}:no-such-account`;
    const [theirs, baseline] = [await list(proxySa), await list(nobody)];
    report('node proxy can-i --list', { lines: theirs.split('\n').length });
    assert.equal(theirs, baseline, 'the proxy ServiceAccount can do exactly what every authenticated ServiceAccount can');
    const controllerPod = (await readyPods(CONTROLLER_PODS))[0]!;
    const cpod = await getJson(['get', 'pod', controllerPod, '-n', ns]);
    assert.equal(cpod.spec.serviceAccountName, `${fullname}-controller`);
  });

  test('echo Deployment (3) behind a Service: clients through ClusterIP and NodePort are balanced over the pods', async () => {
    await kubectlOk(['apply', '-f', '-'], toYaml([
      echoDeployment(3),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: ns }, spec: { selector: { app: 'echo' }, ports: [{ name: 'ws', port: 80, targetPort: 'ws' }] } },
      wsRoute(ns, 'echo', { match: { path: '/echo/{rest}' }, backend: { service: { name: 'echo', port: 80 }, path: '/{rest}' }, loadBalancer: { policy: 'LeastConnections' } }),
    ]));
    const pods = await settled(ECHO_PODS, 3);
    await routeReady(3);
    // Both wsgate replicas have the three endpoints once the route is Ready on the leader; the
    // follower compiles the same table from the same watch.
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await greet(i % 2 === 0 ? clusterUrl : nodePortUrl);
      open.push(c.ws);
      seen.push(c.backend);
    }
    const by = count(seen);
    report('node balance (3)', { perPod: Object.fromEntries(by) });
    assert.deepEqual([...by.keys()].sort(), pods, 'every backend pod got connections');
    // Least connections in each of the two replicas: per replica at most 1 apart, so at most 2
    // apart over both.
    assert.ok(Math.max(...by.values()) - Math.min(...by.values()) <= 2, JSON.stringify(Object.fromEntries(by)));
  });

  test('a route created after the install is served through the Service within moments', async () => {
    const started = performance.now();
    await kubectlOk(['apply', '-f', '-'], toYaml([wsRoute(ns, 'late', { match: { path: '/late/{rest}' }, backend: { service: { name: 'echo', port: 80 }, path: '/{rest}' } })]));
    const url = `ws://${clusterIP}:80/late/x`;
    // Both proxies (kube-proxy picks one per connection): two successes in a row.
    await eventually('the new route served by the proxies', async () => {
      for (let i = 0; i < 2; i++) (await greet(url)).ws.terminate();
      return true;
    }, 200, 50);
    report('node late route', { servedAfterMs: Math.round(performance.now() - started) });
  });

  test(`controller rollout restart and a helm upgrade of the controller only: ${HELD} held WebSockets see no close; a route change right after is served`, async () => {
    const proxies = await readyPods(WSGATE_PODS);
    const fleet = new Fleet();
    const clients = Array.from({ length: HELD }, () => fleet.add({ url: clusterUrl, padding: 16 }));
    let stopTraffic = () => {};
    try {
      await fleet.connectAll(clients, 16);
      stopTraffic = fleet.startTraffic(2000);
      await fleet.waitFor('traffic on every held client', () => clients.every((c) => c.checked >= 1), 60_000);

      const oldControllers = await allPods(CONTROLLER_PODS);
      await kubectlOk(['rollout', 'restart', `deployment/${fullname}-controller`, '-n', ns]);
      await kubectlOk(['rollout', 'status', `deployment/${fullname}-controller`, '-n', ns, '--timeout=240s']);
      await eventually('the old controllers gone', async () => ((await allPods(CONTROLLER_PODS)).some((p) => oldControllers.includes(p)) ? undefined : true), 480, 250);

      const restarted = await allPods(CONTROLLER_PODS);
      await helmOk(['upgrade', release, path.join(repoRoot, 'charts/wsgate'), '--namespace', ns, '--reuse-values',
        '--set', 'controller.debounceMs=60', '--wait', '--timeout', '240s']);
      await eventually('the controllers replaced by the upgrade', async () => ((await allPods(CONTROLLER_PODS)).some((p) => restarted.includes(p)) ? undefined : true), 480, 250);
      assert.deepEqual(await readyPods(WSGATE_PODS), proxies, 'the proxies were not restarted');

      // A route change right after: the new controllers serve it to the same proxies.
      const started = performance.now();
      await kubectlOk(['apply', '-f', '-'], toYaml([wsRoute(ns, 'late', { match: { path: '/later/{rest}' }, backend: { service: { name: 'echo', port: 80 }, path: '/{rest}' } })]));
      await eventually('the changed route served', async () => {
        for (let i = 0; i < 2; i++) (await greet(`ws://${clusterIP}:80/later/x`)).ws.terminate();
        return true;
      }, 400, 50);
      report('node controller-only changes', { routeChangeServedAfterMs: Math.round(performance.now() - started) });

      const mark = clients.map((c) => c.checked);
      await fleet.waitFor('every held client still echoing', () => clients.every((c, i) => c.checked > mark[i]!), 60_000);
      stopTraffic();
      await fleet.settle(20_000);
      const sum = fleet.summary();
      report('node controller-only changes', { held: HELD, closes: sum.closes, checked: sum.checked, lost: sum.lost });
      assert.deepEqual(sum.closes, {}, 'no held connection closed');
      assert.equal(sum.lost + sum.reordered + sum.unanswered, 0);
    } finally {
      stopTraffic();
      await fleet.stopAll();
    }
  });

  /** A proxy pod's metric, read from its admin port (the host is the node: pod IPs are reachable). */
  async function proxyMetric(pod: string, name: string): Promise<number> {
    const ip = (await getJson(['get', 'pod', pod, '-n', ns])).status.podIP as string;
    const text = await (await fetch(`http://${ip}:9090/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    assert.ok(line, `${name} on ${pod}`);
    return Number(line.split(' ')[1]);
  }

  test('the controller scaled to 0 for a minute: the proxies keep serving, the snapshot age grows; back to 1, they catch up', async () => {
    const proxies = await readyPods(WSGATE_PODS);
    const held = await greet(clusterUrl);
    let closed = false;
    held.ws.once('close', () => (closed = true));
    await kubectlOk(['scale', `deployment/${fullname}-controller`, '-n', ns, '--replicas=0']);
    await eventually('no controller pod', async () => ((await allPods(CONTROLLER_PODS)).length === 0 ? true : undefined), 480, 250);
    for (const p of proxies) await eventually(`${p} disconnected`, async () => ((await proxyMetric(p, 'wsgate_controller_connected')) === 0 ? true : undefined), 240, 250);
    const ageBefore = Math.min(...(await Promise.all(proxies.map((p) => proxyMetric(p, 'wsgate_snapshot_age_seconds')))));
    // The outage itself: a minute without a controller.
    await new Promise((r) => setTimeout(r, 60_000));
    const ages = await Promise.all(proxies.map((p) => proxyMetric(p, 'wsgate_snapshot_age_seconds')));
    assert.ok(ages.every((a) => a >= ageBefore + 55), `the snapshot age grew on every proxy: ${ages.join(', ')} (was ${ageBefore})`);
    for (let i = 0; i < 6; i++) (await greet(clusterUrl)).ws.terminate();
    assert.equal((await readyPods(WSGATE_PODS)).length, proxies.length, 'the proxies stay ready');
    // A change while no controller runs: served once one is back.
    await kubectlOk(['apply', '-f', '-'], toYaml([wsRoute(ns, 'late', { match: { path: '/back/{rest}' }, backend: { service: { name: 'echo', port: 80 }, path: '/{rest}' } })]));

    await kubectlOk(['scale', `deployment/${fullname}-controller`, '-n', ns, '--replicas=1']);
    await settled(CONTROLLER_PODS, 1, 180);
    for (const p of proxies) await eventually(`${p} reconnected`, async () => ((await proxyMetric(p, 'wsgate_controller_connected')) === 1 ? true : undefined), 240, 250);
    await eventually('the change made during the outage served', async () => {
      for (let i = 0; i < 2; i++) (await greet(`ws://${clusterIP}:80/back/x`)).ws.terminate();
      return true;
    }, 400, 50);
    const after = await Promise.all(proxies.map((p) => proxyMetric(p, 'wsgate_snapshot_age_seconds')));
    report('node controller outage', { ageAfterMinute: ages.map((a) => Math.round(a)).join(','), ageAfterReturn: after.map((a) => a.toFixed(1)).join(',') });
    assert.ok(after.every((a) => a < 30), `caught up: ${after.join(', ')}`);
    assert.equal(closed, false, 'a connection held through the outage stays open');
    held.ws.terminate();
    await kubectlOk(['scale', `deployment/${fullname}-controller`, '-n', ns, '--replicas=2']);
    await settled(CONTROLLER_PODS, 2, 180);
  });

  test('kubectl scale to 5: new connections go to the new pods', async () => {
    const old = await readyPods(ECHO_PODS);
    await kubectlOk(['scale', 'deployment/echo', '-n', ns, '--replicas=5']);
    const pods = await settled(ECHO_PODS, 5);
    await routeReady(5);
    const fresh = pods.filter((p) => !old.includes(p));
    assert.equal(fresh.length, 2);
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await greet(i % 2 === 0 ? clusterUrl : nodePortUrl);
      open.push(c.ws);
      seen.push(c.backend);
    }
    const by = count(seen);
    report('node balance (5)', { newConnectionsPerPod: Object.fromEntries(by), fresh: fresh.join(',') });
    // 30 connections sit on the three old pods (10 each): least connections fills the new ones
    // first, in each replica (kube-proxy picks the replica at random, so exact numbers vary).
    const most = Math.max(...old.map((o) => by.get(o) ?? 0));
    for (const f of fresh) assert.ok((by.get(f) ?? 0) > most, `new pod ${f} got ${by.get(f) ?? 0} of 20, an old one ${most}`);
    assert.ok(fresh.reduce((a, f) => a + (by.get(f) ?? 0), 0) >= 12, 'most new connections went to the new pods');
    await closeAll(open.splice(0));
  });

  /** CLIENTS sequence-checked clients with steady traffic; the caller runs its fault, then `finish`. */
  async function withTraffic(label: string, url: string, reconnectOn: (code: number) => boolean, fault: (fleet: Fleet, clients: SeqClient[]) => Promise<void>) {
    const fleet = new Fleet();
    const clients = Array.from({ length: CLIENTS }, () => fleet.add({ url, reconnectOn, padding: 32 }));
    let stopTraffic = () => {};
    try {
      await fleet.connectAll(clients, 8);
      stopTraffic = fleet.startTraffic(100);
      await fleet.waitFor('traffic on every client', () => clients.every((c) => c.checked >= 3), 30_000);
      await fault(fleet, clients);
      const mark = clients.map((c) => c.checked);
      await fleet.waitFor('every client open again with new echoes', () => clients.every((c, i) => c.state === 'open' && c.checked >= mark[i]! + 3), 60_000);
      stopTraffic();
      await fleet.settle(20_000);
      const s = fleet.summary();
      report(`${label} closes`, { byCode: s.closes, reconnects: s.reconnects, failedUpgradeAttempts: s.failedAttempts, failures: clients.flatMap((c) => c.failures).slice(0, 3) });
      report(`${label} messages`, { checked: s.checked, lost: s.lost, reordered: s.reordered, resent: s.resent, unanswered: s.unanswered });
      assert.equal(s.failedClients, 0);
      assert.equal(s.lost, 0, 'lost messages');
      assert.equal(s.reordered, 0, 'reordered messages');
      assert.equal(s.unanswered, 0, 'unanswered messages');
      return s;
    } finally {
      stopTraffic();
      await fleet.stopAll();
    }
  }

  test('kubectl rollout restart of the backends: 1001 at frame boundaries, nothing lost', async () => {
    const old = await readyPods(ECHO_PODS);
    const s = await withTraffic('node backend rollout', clusterUrl, (c) => c === 1001, async (fleet, clients) => {
      await kubectlOk(['rollout', 'restart', 'deployment/echo', '-n', ns]);
      await kubectlOk(['rollout', 'status', 'deployment/echo', '-n', ns, '--timeout=180s']);
      await settled(ECHO_PODS, 5, 180);
      // Every client was on an old pod; each is now on a new one.
      await fleet.waitFor('every client on a new pod', () => clients.every((c) => c.state === 'open' && !old.includes(c.backend)), 60_000);
    });
    assert.deepEqual(Object.keys(s.closes), ['1001'], 'only 1001 closes');
    assert.ok(s.closes['1001']! >= CLIENTS);
  });

  test('kubectl delete pod --grace-period=0 --force of a backend: how its clients are told', async () => {
    const reconnect = (c: number) => c === 1001 || c === 1006 || c === 1011 || c === 1012;
    let victim = '';
    let onVictim = 0;
    const s = await withTraffic('node backend force-delete', clusterUrl, reconnect, async (fleet, clients) => {
      const by = count(clients.map((c) => c.backend));
      victim = [...by.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      onVictim = by.get(victim)!;
      await kubectlOk(['delete', 'pod', victim, '-n', ns, '--grace-period=0', '--force']);
      await fleet.waitFor('the victim\'s clients elsewhere', () => clients.every((c) => c.state === 'open' && c.backend !== victim), 60_000);
    });
    // The kubelet still sends SIGTERM (then SIGKILL after its minimum grace), so the backend can
    // say goodbye with 1001; a connection it never answers would end without a close frame (1006).
    report('node backend force-delete', { victim, clientsOnVictim: onVictim, toldWith: s.closes });
    const told = Object.values(s.closes).reduce((a, b) => a + b, 0);
    assert.equal(told, onVictim, 'exactly the victim\'s clients were closed, once each');
    for (const code of Object.keys(s.closes)) assert.ok(['1001', '1006'].includes(code), `close code ${code}`);
    await settled(ECHO_PODS, 5, 120);
  });

  test('kubectl rollout restart of the data plane: clients see only 1001, reconnect, lose nothing', async () => {
    const old = await readyPods(WSGATE_PODS);
    const s = await withTraffic('node wsgate rollout', clusterUrl, (c) => c === 1001, async () => {
      await kubectlOk(['rollout', 'restart', `deployment/${fullname}`, '-n', ns]);
      await kubectlOk(['rollout', 'status', `deployment/${fullname}`, '-n', ns, '--timeout=240s']);
      // The old pods drain (preStop sleep, then the shutdown grace) and are gone.
      await eventually('the old wsgate pods gone', async () => ((await allPods(WSGATE_PODS)).some((p) => old.includes(p)) ? undefined : true), 480, 250);
    });
    assert.deepEqual(Object.keys(s.closes), ['1001'], 'only 1001 closes');
    assert.ok(s.closes['1001']! >= CLIENTS, 'every client was moved off the old pods');
    await settled(WSGATE_PODS, 2);
  });

  test('helm upgrade with a value of both parts rolls the pods without an abnormal close', async () => {
    const old = await readyPods(WSGATE_PODS);
    const s = await withTraffic('node helm upgrade', nodePortUrl, (c) => c === 1001, async () => {
      await helmOk(['upgrade', release, path.join(repoRoot, 'charts/wsgate'), '--namespace', ns, '--reuse-values',
        '--set', 'controller.logLevel=debug', '--wait', '--timeout', '240s']);
      await eventually('the old wsgate pods gone', async () => ((await allPods(WSGATE_PODS)).some((p) => old.includes(p)) ? undefined : true), 480, 250);
    });
    assert.deepEqual(Object.keys(s.closes).filter((c) => c !== '1001'), [], 'no abnormal close');
    const deploy = await getJson(['get', 'deployment', fullname, '-n', ns]);
    assert.ok((deploy.spec.template.spec.containers[0].args as string[]).some((a) => /debug/.test(a)), 'the new value is in the pods');
    await settled(WSGATE_PODS, 2);
  });

  test('helm uninstall removes everything but the CRD', async () => {
    await helmOk(['uninstall', release, '--namespace', ns, '--wait', '--timeout', '120s']);
    installed = false;
    await eventually('the wsgate pods gone', async () => ((await allPods(WSGATE_PODS)).length === 0 ? true : undefined), 480, 250);
    const left = (await kubectlOk(['get', 'all,serviceaccount,role,rolebinding,secret,configmap,poddisruptionbudget', '-n', ns, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).trim();
    assert.equal(left, '', `left in ${ns}: ${left}`);
    const cluster = await kubectl(['get', `clusterrole/${fullname}`, `clusterrolebinding/${fullname}`]);
    assert.notEqual(cluster.code, 0);
    assert.match(cluster.stderr, /NotFound/);
    await kubectlOk(['get', 'crd', 'websocketroutes.wsgate.io']);
    // Not the chart's: the Lease the replicas wrote at run time.
    const lease = await kubectl(['get', 'lease', `${fullname}-leader`, '-n', ns, '-o', 'name']);
    report('node uninstall', { leftInNamespace: left || 'nothing', runtimeLease: lease.code === 0 ? 'kept (written by wsgate, not by the chart)' : 'gone' });
  });
});
