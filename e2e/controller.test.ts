// `wsgate controller` against a real kube-apiserver and etcd (started by `make e2e-up`),
// driven with kubectl as users do, with real WebSocket clients and backends on loopback.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, expectStatus, type OpenClient } from '../test/helpers/ws-client.js';
import { repoRoot, startWsgate, type WsgateChild } from '../test/helpers/wsgate-child.js';
import { POD_PREFIX, startPodBackends, type PodBackend } from './helpers/backends.js';
import {
  apply,
  clusterAvailable,
  endpointSlice,
  eventually,
  kubeconfig,
  kubectl,
  kubectlOk,
  service,
  wsRoute,
} from './helpers/cluster.js';

const run = promisify(execFile);
const ns = `e2e-${process.pid}-${Date.now() % 100000}`;

interface DebugRoutes {
  version: number;
  routes: Array<{ key: string; endpoints: Array<{ id: string; ready: boolean; terminating: boolean }> }>;
}

async function debugRoutes(gw: WsgateChild): Promise<DebugRoutes> {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}/debug/routes`);
  return (await res.json()) as DebugRoutes;
}

async function metric(gw: WsgateChild, name: string): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).join('\n');
}

function condition(route: string, type: string): Promise<string> {
  return kubectlOk(['get', 'wsr', route, '-n', ns, '-o', `jsonpath={.status.conditions[?(@.type=="${type}")].status}/{.status.conditions[?(@.type=="${type}")].reason}`]);
}

function startController(extra: string[] = []): Promise<WsgateChild> {
  return startWsgate([
    'controller',
    '--kubeconfig',
    kubeconfig,
    '--leader-election-namespace',
    ns,
    '--lease-duration',
    '4000',
    '--lease-retry-period',
    '500',
    ...extra,
  ]);
}

describe('wsgate controller against a real kube-apiserver', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  let pods: PodBackend[] = [];
  let port = 0;
  let gw: WsgateChild;

  before(async () => {
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', ns]);
    pods = await startPodBackends(['pod-a', 'pod-b', 'pod-c', 'pod-d']);
    port = pods[0]!.port;
    await apply([
      service(ns, 'chat', [{ name: 'ws', port: 80 }]),
      endpointSlice(ns, 'chat-1', 'chat', { name: 'ws', port }, [{ ip: `${POD_PREFIX}.2` }, { ip: `${POD_PREFIX}.3` }]),
      endpointSlice(ns, 'chat-2', 'chat', { name: 'ws', port }, [{ ip: `${POD_PREFIX}.4` }]),
      wsRoute(ns, 'chat', {
        match: { path: '/chat/{rest}' },
        backend: { service: { name: 'chat', port: 'ws' }, path: '/{rest}' },
      }),
    ]);
    gw = await startController();
  });

  after(async () => {
    await gw?.stop();
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    await Promise.all(pods.map((p) => p.close()));
  });

  test('/readyz turns ready after the first sync; status says Accepted, ResolvedRefs, Ready', async () => {
    await eventually('readyz', async () => (await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status === 200);
    await kubectlOk(['wait', '-n', ns, '--for=jsonpath={.status.backends.ready}=3', '--timeout=30s', 'wsr/chat']);
    assert.equal(await condition('chat', 'Accepted'), 'True/Accepted');
    assert.equal(await condition('chat', 'ResolvedRefs'), 'True/ResolvedRefs');
    assert.equal(await condition('chat', 'Ready'), 'True/EndpointsReady');
    const observed = await kubectlOk(['get', 'wsr', 'chat', '-n', ns, '-o', 'jsonpath={.status.observedGeneration}/{.metadata.generation}']);
    const [o, g] = observed.split('/');
    assert.equal(o, g);
  });

  test('printer columns: kubectl get wsr shows class, hosts, path, backend, ready', async () => {
    const out = await kubectlOk(['get', 'wsr', '-n', ns]);
    const [header, row] = out.trim().split('\n');
    assert.match(header!, /NAME\s+CLASS\s+HOSTS\s+PATH\s+BACKEND\s+READY/);
    assert.match(row!, /^chat\s+.*\/chat\/\{rest\}\s+chat\s+3\s/);
  });

  test('traffic is balanced across the endpoints of several slices', async () => {
    const clients: OpenClient[] = [];
    for (let i = 0; i < 30; i++) clients.push(await connect(`${gw.url}/chat/room`));
    const counts: Record<string, number> = {};
    for (const c of clients) counts[c.hello.backend] = (counts[c.hello.backend] ?? 0) + 1;
    assert.deepEqual(counts, { 'pod-a': 10, 'pod-b': 10, 'pod-c': 10 });
    assert.equal(clients[0]!.hello.path, '/room');
    await Promise.all(clients.map((c) => c.close()));
  });

  test('an endpoint added, marked terminating and removed reaches the data plane', async () => {
    const addedAt = performance.now();
    await apply([endpointSlice(ns, 'chat-2', 'chat', { name: 'ws', port }, [{ ip: `${POD_PREFIX}.4` }, { ip: `${POD_PREFIX}.5` }])]);
    await eventually('the new endpoint in the table', async () =>
      (await debugRoutes(gw)).routes.find((r) => r.key === `${ns}/chat`)?.endpoints.some((e) => e.id === `${POD_PREFIX}.5:${port}` && e.ready),
    );
    const propagationMs = performance.now() - addedAt;
    console.log(`# EndpointSlice change -> routing table: ${propagationMs.toFixed(0)} ms (kubectl apply included)`);

    // Hold a connection on pod-d, then mark it terminating: it keeps its connection, gets no new ones.
    const held: OpenClient[] = [];
    for (let i = 0; i < 8; i++) held.push(await connect(`${gw.url}/chat/x`));
    const onD = held.find((c) => c.hello.backend === 'pod-d');
    assert.ok(onD, 'least connections puts one of 8 connections on the new endpoint');
    await apply([endpointSlice(ns, 'chat-2', 'chat', { name: 'ws', port }, [{ ip: `${POD_PREFIX}.4` }, { ip: `${POD_PREFIX}.5`, ready: false, terminating: true }])]);
    await eventually('the endpoint terminating', async () =>
      (await debugRoutes(gw)).routes.find((r) => r.key === `${ns}/chat`)?.endpoints.some((e) => e.id === `${POD_PREFIX}.5:${port}` && e.terminating),
    );
    const fresh: OpenClient[] = [];
    for (let i = 0; i < 8; i++) fresh.push(await connect(`${gw.url}/chat/y`));
    assert.ok(fresh.every((c) => c.hello.backend !== 'pod-d'), 'no new connection lands on a terminating endpoint');
    assert.equal(await onD.echo('still here'), 'still here');

    await apply([endpointSlice(ns, 'chat-2', 'chat', { name: 'ws', port }, [{ ip: `${POD_PREFIX}.4` }])]);
    await eventually('the endpoint gone', async () =>
      !(await debugRoutes(gw)).routes.find((r) => r.key === `${ns}/chat`)?.endpoints.some((e) => e.id === `${POD_PREFIX}.5:${port}`),
    );
    assert.equal(await onD.echo('after removal'), 'after removal');
    await Promise.all([...held, ...fresh].map((c) => c.close()));
  });

  test('an invalid route is refused by the CRD schema and CEL rules with kubectl\'s message', async () => {
    const both = await kubectl(['apply', '-f', '-'], toYaml(wsRoute(ns, 'both', {
      match: { path: '/both' },
      backend: { service: { name: 'chat', port: 80 }, endpoints: [{ host: `${POD_PREFIX}.2`, port }] },
    })));
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /exactly one of/i);
    const schema = await kubectl(['apply', '-f', '-'], toYaml(wsRoute(ns, 'badpolicy', {
      match: { path: '/p' },
      backend: { service: { name: 'chat', port: 80 } },
      loadBalancer: { policy: 'Random' },
    })));
    assert.notEqual(schema.code, 0);
    assert.match(schema.stderr, /Unsupported value: "Random"/);
    const placeholder = await kubectl(['apply', '-f', '-'], toYaml(wsRoute(ns, 'badplaceholder', {
      match: { path: '/a/{x}' },
      backend: { service: { name: 'chat', port: 80 }, path: '/{y}' },
    })));
    assert.notEqual(placeholder.code, 0);
    assert.match(placeholder.stderr, /placeholder/i);
  });

  test('a semantically bad route is marked Accepted=False with an event; others keep working', async () => {
    await apply([
      wsRoute(ns, 'bad-template', { match: { path: '/bad/pre{x}' }, backend: { service: { name: 'chat', port: 80 } } }),
      wsRoute(ns, 'no-service', { match: { path: '/nosvc' }, backend: { service: { name: 'missing', port: 80 } } }),
    ]);
    await kubectlOk(['wait', '-n', ns, '--for=jsonpath={.status.conditions[?(@.type=="Accepted")].status}=False', '--timeout=30s', 'wsr/bad-template']);
    assert.equal(await condition('bad-template', 'Accepted'), 'False/Invalid');
    await kubectlOk(['wait', '-n', ns, '--for=jsonpath={.status.conditions[?(@.type=="ResolvedRefs")].status}=False', '--timeout=30s', 'wsr/no-service']);
    assert.equal(await condition('no-service', 'ResolvedRefs'), 'False/ServiceNotFound');
    assert.equal(await expectStatus(`${gw.url}/nosvc`), 503);
    const events = await eventually('a Warning event on the bad route', async () => {
      const out = await kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=bad-template', '-o', 'jsonpath={.items[*].reason}']);
      return out.includes('Invalid') ? out : undefined;
    });
    assert.match(events, /Invalid/);
    const c = await connect(`${gw.url}/chat/ok`);
    await c.close();
  });

  test('the apiserver stops and restarts: connections stay up, routing resumes', async () => {
    const held = await connect(`${gw.url}/chat/held`);
    await run('bash', [path.join(repoRoot, 'e2e/cluster/apiserver.sh'), 'stop']);
    try {
      assert.equal(await held.echo('during outage'), 'during outage');
      const during = await connect(`${gw.url}/chat/new-during-outage`);
      await during.close();
      assert.equal((await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status, 200);
    } finally {
      await run('bash', [path.join(repoRoot, 'e2e/cluster/apiserver.sh'), 'start']);
    }
    await apply([
      wsRoute(ns, 'after-restart', {
        match: { path: '/after' },
        backend: { service: { name: 'chat', port: 80 } },
      }),
    ]);
    await eventually('the route created after the restart', async () => (await expectStatus(`${gw.url}/after`)) === 101, 300, 100);
    assert.equal(await held.echo('after outage'), 'after outage');
    await held.close();
  });

  test('two replicas: one leader writes status; the other takes over when it stops', async () => {
    const second = await startController();
    try {
      await eventually('second replica ready', async () => (await fetch(`http://127.0.0.1:${second.adminPort}/readyz`)).status === 200);
      // Both serve traffic.
      const c = await connect(`${second.url}/chat/from-second`);
      await c.close();
      const leaders = async () => [await metric(gw, 'wsgate_leader'), await metric(second, 'wsgate_leader')];
      assert.deepEqual(await leaders(), ['wsgate_leader 1', 'wsgate_leader 0']);
      const holder = await kubectlOk(['get', 'lease', 'wsgate-leader', '-n', ns, '-o', 'jsonpath={.spec.holderIdentity}']);
      assert.match(holder, new RegExp(`_${gw.child.pid}$`));

      await gw.stop(); // releases the lease on the way out
      await eventually('the second replica leading', async () => (await metric(second, 'wsgate_leader')) === 'wsgate_leader 1', 200, 100);
      await apply([wsRoute(ns, 'late', { match: { path: '/late' }, backend: { service: { name: 'chat', port: 80 } } })]);
      await kubectlOk(['wait', '-n', ns, '--for=jsonpath={.status.backends.ready}=3', '--timeout=30s', 'wsr/late']);
    } finally {
      await second.stop();
    }
  });
});

function toYaml(o: object): string {
  return JSON.stringify(o);
}
