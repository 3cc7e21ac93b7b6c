// Control plane lost: `wsgate controller` reaches the kube-apiserver through a TCP relay that
// is cut for 30 s (every connection reset, new ones refused) while kubectl, talking to the API
// server directly, keeps creating, changing and deleting routes and EndpointSlices. Traffic
// must keep flowing on the last table during the outage; after the link is back the table must
// converge to the cluster state: no stale route, no missed deletion, the same endpoints.
// (The API server really stopping is covered by e2e/controller.test.ts.)
// WSGATE_OUTAGE_SECONDS changes the 30 s.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { POD_PREFIX, startPodBackends, type PodBackend } from '../helpers/backends.js';
import { apply, clusterAvailable, endpointSlice, kubeconfig, kubectl, kubectlOk, service, wsRoute, type SliceEndpoint } from '../helpers/cluster.js';
import { repoRoot, startGate, tempDir, type DebugRoutes, type GateProc } from './lib/procs.js';
import { TcpRelay } from './lib/relay.js';
import { Fleet, report, type SeqClient } from './lib/seq-client.js';

const OUTAGE_S = Number(process.env.WSGATE_OUTAGE_SECONDS ?? 30);
const ns = `rel-cp-${process.pid}-${Date.now() % 100000}`;
/** Pod addresses 10.250.77.14-19, apart from those e2e/controller.test.ts uses. */
const FIRST_POD = 14;

interface RouteState {
  path: string;
  endpoints: string[];
}

const describeEndpoint = (e: { id: string; ready: boolean; terminating: boolean }) => `${e.id}${e.ready ? '' : ' not-ready'}${e.terminating ? ' terminating' : ''}`;

/** What the table should be, from the cluster (kubectl, direct). */
async function clusterState(): Promise<Map<string, RouteState>> {
  const get = async (kind: string) => (JSON.parse(await kubectlOk(['get', kind, '-n', ns, '-o', 'json'])) as { items: any[] }).items;
  const [routes, services, slices] = await Promise.all([get('websocketroutes'), get('services'), get('endpointslices')]);
  const out = new Map<string, RouteState>();
  for (const r of routes) {
    const ref = r.spec.backend.service as { name: string; port: string };
    const svc = services.find((s) => s.metadata.name === ref.name);
    const portName = svc?.spec.ports.find((p: { name: string }) => p.name === ref.port)?.name;
    const endpoints: string[] = [];
    for (const slice of slices.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === ref.name)) {
      const port = slice.ports?.find((p: { name: string }) => (p.name ?? '') === portName)?.port;
      if (port === undefined) continue;
      for (const e of slice.endpoints ?? []) {
        const terminating = e.conditions?.terminating === true;
        const ready = e.conditions?.ready !== false && !terminating;
        endpoints.push(describeEndpoint({ id: `${e.addresses[0]}:${port}`, ready, terminating }));
      }
    }
    out.set(`${ns}/${r.metadata.name}`, { path: r.spec.match.path, endpoints: endpoints.sort() });
  }
  return out;
}

function tableState(table: DebugRoutes): Map<string, RouteState> {
  const out = new Map<string, RouteState>();
  for (const r of table.routes) {
    if (!r.key.startsWith(`${ns}/`)) continue;
    out.set(r.key, { path: r.path, endpoints: r.endpoints.map(describeEndpoint).sort() });
  }
  return out;
}

/** Stale (in the table only), missing (in the cluster only) and different routes. */
function diff(table: Map<string, RouteState>, cluster: Map<string, RouteState>): { stale: string[]; missing: string[]; different: string[] } {
  const stale = [...table.keys()].filter((k) => !cluster.has(k));
  const missing = [...cluster.keys()].filter((k) => !table.has(k));
  const different = [...cluster.keys()].filter((k) => table.has(k) && JSON.stringify(table.get(k)) !== JSON.stringify(cluster.get(k)));
  return { stale, missing, different };
}

describe('control plane lost for 30 s during route and endpoint churn', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  let pods: PodBackend[] = [];
  let relay: TcpRelay | undefined;
  let gw: GateProc | undefined;
  let dir = '';
  const fleet = new Fleet();
  let stopTraffic = () => {};

  before(async () => {
    dir = tempDir('wsgate-rel-cp-');
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', ns]);
    pods = await startPodBackends(['cp-0', 'cp-1', 'cp-2', 'cp-3', 'cp-4', 'cp-5'], FIRST_POD);
  });

  after(async () => {
    stopTraffic();
    await fleet.stopAll();
    await gw?.stop('SIGKILL');
    await relay?.close();
    // Without a controller-manager the namespace stays Terminating for ever: delete what is in
    // it first, so no route of this test is left for controllers of later tests to see.
    await kubectl(['delete', 'websocketroutes,endpointslices,services', '--all', '-n', ns, '--wait=false']);
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    await Promise.all(pods.map((p) => p.close()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('traffic flows on the last table; the table converges after the link is back', async () => {
    const started = performance.now();
    const port = pods[0]!.port;
    const ip = (i: number) => `${POD_PREFIX}.${FIRST_POD + i}`;
    const wsPort = { name: 'ws', port };
    const slice = (svc: string, eps: SliceEndpoint[]) => endpointSlice(ns, `${svc}-1`, svc, wsPort, eps);
    const route = (name: string, p: string, svc: string) => wsRoute(ns, name, { match: { path: p }, backend: { service: { name: svc, port: 'ws' } } });
    // stable: what the clients use (pods 0 and 1, never removed); churn-a/b: pods 2-3 and 4-5.
    const doomed = Array.from({ length: 6 }, (_, k) => `doomed-${k}`);
    await apply([
      service(ns, 'stable', [{ name: 'ws', port: 80 }]),
      service(ns, 'churn-a', [{ name: 'ws', port: 80 }]),
      service(ns, 'churn-b', [{ name: 'ws', port: 80 }]),
      slice('stable', [{ ip: ip(0) }, { ip: ip(1) }]),
      slice('churn-a', [{ ip: ip(2) }, { ip: ip(3) }]),
      slice('churn-b', [{ ip: ip(4) }, { ip: ip(5) }]),
      route('stable', '/stable/{rest}', 'stable'),
      ...doomed.map((name, k) => route(name, `/doomed/${k}`, k % 2 ? 'churn-a' : 'churn-b')),
    ]);

    // wsgate's kubeconfig: the same, with the relay as server.
    const kc = parse(fs.readFileSync(kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
    const server = new URL(kc.clusters[0]!.cluster.server);
    relay = new TcpRelay({ host: server.hostname, port: Number(server.port) });
    const relayPort = await relay.start();
    for (const c of kc.clusters) c.cluster.server = `https://127.0.0.1:${relayPort}`;
    const relayed = path.join(dir, 'kubeconfig');
    fs.writeFileSync(relayed, stringify(kc));
    gw = await startGate(['controller', '--kubeconfig', relayed, '--namespace', ns, '--leader-election-namespace', ns, '--lease-duration', '4000', '--lease-retry-period', '500'], { dir });
    const converged = async () => {
      const d = diff(tableState(await gw!.debugRoutes()), await clusterState());
      return d.stale.length + d.missing.length + d.different.length === 0 ? d : undefined;
    };
    for (let i = 0; !(await converged()); i++) {
      assert.ok(i < 150, 'the first table matches the cluster');
      await new Promise((r) => setTimeout(r, 200));
    }

    const clients: SeqClient[] = Array.from({ length: 200 }, (_, i) => fleet.add({ url: `${gw!.url}/stable/c${i}` }));
    await fleet.connectAll(clients, 32);
    stopTraffic = fleet.startTraffic(250, 50, clients);
    const watchErrorsBefore = (await gw.metrics()).sum('wsgate_watch_errors_total');

    // The churn, through kubectl straight to the API server, until told to stop.
    const ops: Record<string, number> = {};
    const opsDuringOutage: Record<string, number> = {};
    let churning = true;
    let created = 0;
    const live: string[] = [...doomed];
    const variants = (a: number, b: number): SliceEndpoint[][] => [
      [{ ip: ip(a) }, { ip: ip(b) }],
      [{ ip: ip(a) }],
      [{ ip: ip(a) }, { ip: ip(b), ready: false }],
      [{ ip: ip(a), ready: false, terminating: true }, { ip: ip(b) }],
    ];
    const churnOnce = async (n: number): Promise<string> => {
      switch (n % 6) {
        case 0: {
          const name = `churn-${created++}`;
          await apply([route(name, `/churn/${name}`, created % 2 ? 'churn-a' : 'churn-b')]);
          live.push(name);
          return 'route created';
        }
        case 1: {
          const name = live.shift();
          if (!name) return 'nothing to delete';
          await kubectlOk(['delete', 'websocketroute', name, '-n', ns, '--wait=false']);
          return 'route deleted';
        }
        case 2:
          await apply([slice('churn-a', variants(2, 3)[Math.floor(n / 6) % 4]!)]);
          return 'slice changed';
        case 3:
          await apply([slice('churn-b', variants(4, 5)[Math.floor(n / 6) % 4]!)]);
          return 'slice changed';
        case 4: {
          const name = live[live.length - 1];
          if (!name) return 'nothing to change';
          await apply([route(name, `/changed/${name}/${n}`, n % 2 ? 'churn-a' : 'churn-b')]);
          return 'route changed';
        }
        default:
          // The clients' service gains or loses a not-ready endpoint; its ready ones stay.
          await apply([slice('stable', [{ ip: ip(0) }, { ip: ip(1) }, ...(Math.floor(n / 6) % 2 ? [{ ip: ip(5), ready: false }] : [])])]);
          return 'slice changed';
      }
    };
    const churn = (async () => {
      for (let n = 0; churning; n++) {
        const what = await churnOnce(n);
        ops[what] = (ops[what] ?? 0) + 1;
        if (relay!.isSevered) opsDuringOutage[what] = (opsDuringOutage[what] ?? 0) + 1;
      }
    })();

    await new Promise((r) => setTimeout(r, 5000));
    const checkedAtCut = clients.reduce((a, c) => a + c.checked, 0);
    relay.sever();
    const cutAt = performance.now();
    // What wsgate had when the link went (a change already received may still be compiled:
    // the controller debounces 50 ms).
    await new Promise((r) => setTimeout(r, 1000));
    const atCut = await gw.debugRoutes();
    // During the outage: fresh upgrades every 500 ms on the last table, readiness kept.
    const probes: SeqClient[] = [];
    let notReady = 0;
    while (performance.now() - cutAt < OUTAGE_S * 1000) {
      const p = fleet.add({ url: `${gw.url}/stable/probe`, maxAttempts: 1 });
      probes.push(p);
      if (await p.connect()) {
        p.send();
        await fleet.waitFor('probe echo', () => p.unanswered === 0, 5000);
        await p.stop();
      }
      if ((await gw.admin('/readyz')).status !== 200) notReady++;
      await new Promise((r) => setTimeout(r, 500));
    }
    const during = await gw.debugRoutes();
    const diffDuring = diff(tableState(during), await clusterState());
    const checkedDuring = clients.reduce((a, c) => a + c.checked, 0) - checkedAtCut;
    const leaderDuring = (await gw.metrics()).sum('wsgate_leader');
    relay.restore();
    const restoredAt = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    churning = false;
    await churn;
    const churnStoppedAt = performance.now();

    let d = await converged();
    while (!d && performance.now() - churnStoppedAt < 60000) {
      await new Promise((r) => setTimeout(r, 250));
      d = await converged();
    }
    const convergedAt = performance.now();
    const final = diff(tableState(await gw.debugRoutes()), await clusterState());
    stopTraffic();
    await fleet.settle(20000);
    const m = await gw.metrics();
    const s = fleet.summary(clients);
    const ps = fleet.summary(probes);

    report('control-plane connections', { held: clients.length, open: s.open, probesDuringOutage: probes.length, probesOk: probes.filter((p) => p.connects === 1).length, readyzNot200DuringOutage: notReady });
    report('control-plane faults', {
      outageSeconds: OUTAGE_S,
      relayConnectionsReset: relay.stats.reset,
      relayConnectionsRefused: relay.stats.refused,
      watchErrors: m.sum('wsgate_watch_errors_total') - watchErrorsBefore,
      leaderDuring,
      leaderAfter: m.sum('wsgate_leader'),
    });
    report('control-plane churn', { ops, opsDuringOutage });
    report('control-plane table', {
      versionAtCut: atCut.version,
      versionEndOfOutage: during.version,
      behindAtEndOfOutage: `stale=${diffDuring.stale.length} missing=${diffDuring.missing.length} different=${diffDuring.different.length}`,
      convergedAfterRestoreMs: (convergedAt - restoredAt).toFixed(0),
      convergedAfterChurnStopMs: (convergedAt - churnStoppedAt).toFixed(0),
      routes: tableState(await gw.debugRoutes()).size,
      stale: final.stale.length,
      missedDeletions: final.stale.filter((k) => k.includes('/doomed-') || k.includes('/churn-')).length,
      missing: final.missing.length,
      different: final.different.length,
    });
    report('control-plane messages', { checked: s.checked, checkedDuringOutage: checkedDuring, lost: s.lost + ps.lost, reordered: s.reordered + ps.reordered, closes: s.closes });

    assert.deepEqual(tableState(during), tableState(atCut), 'the last table kept serving, unchanged, through the outage');
    assert.ok(tableState(during).size > 0);
    assert.ok((opsDuringOutage['route deleted'] ?? 0) > 0 && (opsDuringOutage['route created'] ?? 0) > 0, 'routes were created and deleted during the outage');
    assert.ok(diffDuring.stale.length + diffDuring.missing.length + diffDuring.different.length > 0, 'the table was behind the cluster at the end of the outage');
    assert.equal(notReady, 0, '/readyz stayed 200');
    assert.equal(ps.failedAttempts, 0, 'every upgrade during the outage succeeded');
    assert.equal(ps.checked, probes.length);
    assert.ok(checkedDuring >= clients.length * OUTAGE_S, 'the clients kept exchanging messages during the outage');
    assert.deepEqual(final, { stale: [], missing: [], different: [] }, 'the table converged to the cluster state');
    assert.deepEqual(s.closes, {}, 'no client was closed');
    assert.equal(s.lost + ps.lost, 0, 'lost messages');
    assert.equal(s.reordered + ps.reordered, 0, 'reordered messages');
    assert.equal(s.unanswered, 0, 'unanswered messages');
    report('control-plane runtime', { seconds: ((performance.now() - started) / 1000).toFixed(1) });
  });
});
