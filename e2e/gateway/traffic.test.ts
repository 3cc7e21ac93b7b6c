// Gateway API traffic on the real node: a `wsgate controller` process on the host with
// --gateway-api on and an address pool, real echo pods (wsgate-e2e-backend:dev) behind real
// Services, and clients reaching each Gateway on the pool address wsgate bound for it and
// reported in Gateway status.addresses. Pods are reachable from the host, which is the node.
//
// Needs the node of e2e/node/node.sh (make e2e-up, or e2e/run.sh). Without it the suite is
// skipped, unless CI=true, where that is a failure.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { repoRoot, type WsgateChild } from '../../test/helpers/wsgate-child.js';
import { apply, briefConditions, clusterDir, eventually, getJsonIn, kubectlOk, nodeAvailable, wsRoute } from '../helpers/cluster.js';
import { echoDeployment, startGatewayController, deleteGatewayTestObjects } from '../helpers/gateway-api.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const nodeUp = nodeAvailable();
const skip = !nodeUp && process.env.CI !== 'true' ? 'no e2e node (make e2e-up as root starts one)' : false;

const ns = `gw-e2e-${process.pid}`;
const className = `wsgate-${ns}`;
// Unique per run: never the controller of the conformance run or of a parallel run.
const controllerName = `wsgate.io/e2e-traffic-${process.pid}`;
// Not the conformance run's 127.30.0.0/24: both may bind their addresses on this host.
const POOL = '127.31.0.0/24';
const PORT = 18080;
const GATEWAY = 'gateway.networking.k8s.io';

const brief = briefConditions;
const getJson = (args: string[]): Promise<Json> => getJsonIn(ns, args);

/** Pod names of `app=<app>` when exactly `n` exist and all are Ready (none terminating). */
function settled(app: string, n: number): Promise<string[]> {
  return eventually(`${n} Ready pods of ${app}`, async () => {
    const list = await getJson(['get', 'pods', '-l', `app=${app}`]);
    const ready = list.items.filter((p: Json) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === n && list.items.length === n ? (ready.map((p: Json) => p.metadata.name as string).sort() as string[]) : undefined;
  }, 480, 250);
}

const echoApp = (app: string, replicas: number) => echoDeployment(ns, app, replicas);

const httpRoute = (name: string, prefix: string, service: string) => ({
  apiVersion: `${GATEWAY}/v1`,
  kind: 'HTTPRoute',
  metadata: { name, namespace: ns },
  spec: { parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: prefix } }], backendRefs: [{ name: service, port: 80 }] }] },
});
const policy = (name: string, route: string, spec: object) => ({
  apiVersion: 'wsgate.io/v1alpha1',
  kind: 'WebSocketPolicy',
  metadata: { name, namespace: ns },
  spec: { targetRefs: [{ group: GATEWAY, kind: 'HTTPRoute', name: route }], ...spec },
});

interface Client {
  ws: WebSocket;
  backend: string;
  closed: Promise<{ code: number; reason: string }>;
}

/** One WebSocket to `url`; resolves with the backend that greeted it (the socket stays open). */
function greet(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: 10_000, perMessageDeflate: false });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.once('message', (d: Buffer) => resolve({ ws, backend: (JSON.parse(d.toString()) as { backend: string }).backend, closed }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}
function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (d: Buffer) => resolve(d.toString()));
    ws.send(text);
  });
}
function count(names: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) m.set(n, (m.get(n) ?? 0) + 1);
  return m;
}
function closeAll(clients: Client[]): Promise<void> {
  return Promise.all(clients.map(async (c) => {
    if (c.ws.readyState !== WebSocket.CLOSED) {
      c.ws.close(1000);
      setTimeout(() => c.ws.terminate(), 3000).unref();
    }
    await c.closed;
  })).then(() => undefined);
}

/**
 * Opens `n` clients to `url` once wsgate balances over all of `pods`: a probe of one client per
 * pod must greet from each (least connections sends each new one to an empty endpoint); until
 * then the probe is closed and retried. The probe's clients are among the `n` returned.
 */
async function openBalanced(url: string, pods: string[], n: number): Promise<Client[]> {
  const probe = await eventually(`${url} reaches ${pods.join(', ')}`, async () => {
    const got: Client[] = [];
    for (let i = 0; i < pods.length; i++) got.push(await greet(url));
    if (new Set(got.map((c) => c.backend)).size === pods.length && got.every((c) => pods.includes(c.backend))) return got;
    await closeAll(got);
    return undefined;
  }, 240, 500);
  const rest: Client[] = [];
  for (let i = probe.length; i < n; i++) rest.push(await greet(url));
  return [...probe, ...rest];
}

describe('Gateway API traffic on a real node: Gateway sockets on pool addresses, real pods', { skip }, () => {
  let wsgate: WsgateChild | undefined;
  let gatewayUrl = '';
  const open: Client[] = [];

  before(async () => {
    assert.ok(nodeUp, 'CI=true needs the e2e node: e2e/run.sh starts it (as root)');
    await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', path.join(repoRoot, 'crds/gateway-api')]);
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    const crds = ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants'].map((k) => `crd/${k}.${GATEWAY}`);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...crds, 'crd/websocketpolicies.wsgate.io', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', ns]);
    await apply([
      { apiVersion: `${GATEWAY}/v1`, kind: 'GatewayClass', metadata: { name: className }, spec: { controllerName } },
      {
        apiVersion: `${GATEWAY}/v1`,
        kind: 'Gateway',
        metadata: { name: 'gw', namespace: ns },
        spec: { gatewayClassName: className, listeners: [{ name: 'http', port: PORT, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
      },
      ...echoApp('echo', 3),
    ]);
    // A wildcard main listener: a pool Gateway's listener on its port is served by it (the
    // isolated bind would fail), which the conflict case needs.
    wsgate = await startGatewayController({ namespace: ns, lease: 'gw-e2e-traffic', controllerName, pool: POOL, listen: '0.0.0.0:0' });
    await wsgate.waitForLog(/became leader/, 30_000);
  }, { timeout: 180_000 });

  after(async () => {
    await closeAll(open.splice(0));
    await wsgate?.stop();
    await deleteGatewayTestObjects(ns, className);
  });

  test('HTTPRoute to 3 pods: 30 clients 10/10/10 by least connections, echoed; Gateway and route status', async () => {
    await apply([httpRoute('echo', '/echo', 'echo')]);
    const gw = await eventually('Gateway programmed with an address and the route attached', async () => {
      const o = await getJson(['get', 'gateway', 'gw']);
      return o.status?.addresses?.length && o.status.listeners?.[0]?.attachedRoutes === 1 && brief(o.status.conditions).Programmed === 'True/Programmed' ? o : undefined;
    }, 240, 250);
    assert.deepEqual(brief(gw.status.conditions), { Accepted: 'True/Accepted', Programmed: 'True/Programmed' });
    const [address] = gw.status.addresses;
    assert.equal(address.type, 'IPAddress');
    assert.ok(address.value.startsWith('127.31.0.'), `address ${address.value} from ${POOL}`);
    gatewayUrl = `ws://${address.value}:${PORT}`;
    const route = await eventually('HTTPRoute parent status', async () => {
      const o = await getJson(['get', 'httproute', 'echo']);
      return o.status?.parents?.find((p: Json) => p.controllerName === controllerName) ? o : undefined;
    }, 240, 250);
    const ours = route.status.parents.find((p: Json) => p.controllerName === controllerName);
    assert.deepEqual(brief(ours.conditions), { Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' });
    assert.ok(ours.conditions.every((c: Json) => c.observedGeneration === route.metadata.generation));

    const pods = await settled('echo', 3);
    const clients = await openBalanced(`${gatewayUrl}/echo/room`, pods, 30);
    open.push(...clients);
    const by = count(clients.map((c) => c.backend));
    assert.deepEqual([...by.keys()].sort(), pods);
    assert.deepEqual([...by.values()], [10, 10, 10], JSON.stringify(Object.fromEntries(by)));
    const replies = await Promise.all(clients.map((c, i) => echo(c.ws, `hello ${i}`)));
    assert.deepEqual(replies, clients.map((_, i) => `hello ${i}`));
    // The main listener has no route for it: only the Gateway's socket serves the HTTPRoute.
    await assert.rejects(greet(`${wsgate!.url}/echo/room`), /HTTP 404/);
    await closeAll(open.splice(0));
  });

  test('WebSocketPolicy timeouts.idle 2s on a route: its idle client is closed with 1001; an older idle client of a route without it stays open', async () => {
    await apply([httpRoute('idle', '/idle', 'echo'), policy('idle', 'idle', { timeouts: { idle: '2s' } })]);
    const p = await eventually('policy ancestors', async () => {
      const o = await getJson(['get', 'websocketpolicy', 'idle']);
      return o.status?.ancestors?.some((a: Json) => a.controllerName === controllerName) ? o : undefined;
    }, 240, 250);
    // Only our entry: other wsgate controllers (the conformance run's) must not claim the policy.
    const mine = p.status.ancestors.filter((a: Json) => a.controllerName === controllerName);
    assert.equal(mine.length, 1);
    const [entry] = mine;
    assert.equal(entry.ancestorRef.name, 'gw');
    assert.equal(brief(entry.conditions).Accepted, 'True/Accepted');
    // The plain client opens first, so it has been idle longer than the policed one when that closes.
    const plain = await greet(`${gatewayUrl}/echo/plain`);
    open.push(plain);
    const policed = await eventually('the idle route served', () => greet(`${gatewayUrl}/idle/room`), 240, 250);
    const closed = await policed.closed;
    assert.deepEqual(closed, { code: 1001, reason: 'idle timeout' });
    assert.equal(plain.ws.readyState, WebSocket.OPEN, 'default idle (1h): still open');
    assert.equal(await echo(plain.ws, 'still here'), 'still here');
    await closeAll(open.splice(0));
  });

  test('WebSocketPolicy rebalance: backends scaled 1 -> 3, wsgate sheds with 1012 and reconnecting clients land on the new pods', async () => {
    const N = 12;
    await apply([...echoApp('reb', 1), httpRoute('reb', '/reb', 'reb'), policy('reb', 'reb', { rebalance: { tolerance: 0.2, maxClosesPerSecond: 5 } })]);
    const [first] = await settled('reb', 1);
    await eventually('the policy accepted', async () => {
      const o = await getJson(['get', 'websocketpolicy', 'reb']);
      return brief(o.status?.ancestors?.find((a: Json) => a.controllerName === controllerName)?.conditions).Accepted === 'True/Accepted';
    }, 240, 250);
    const url = `${gatewayUrl}/reb/room`;
    // Clients that reconnect whenever wsgate sheds them; `current` holds each one's live socket.
    const current: Client[] = await openBalanced(url, [first!], N);
    const codes: number[] = [];
    let stopped = false;
    const follow = (i: number) => {
      void current[i]!.closed.then(async ({ code }) => {
        codes.push(code);
        if (stopped || code !== 1012) return;
        current[i] = await eventually('reconnect', () => greet(url), 40, 250);
        follow(i);
      });
    };
    current.forEach((_, i) => follow(i));
    assert.ok(current.every((c) => c.backend === first));

    await kubectlOk(['scale', 'deployment/reb', '-n', ns, '--replicas=3']);
    const pods = await settled('reb', 3);
    const by = await eventually('balanced over the 3 pods', () => {
      const m = count(current.map((c) => c.backend));
      return pods.every((p) => (m.get(p) ?? 0) >= 3) && current.every((c) => c.ws.readyState === WebSocket.OPEN) ? m : undefined;
    }, 240, 250);
    stopped = true;
    // tolerance 0.2 over 12 on 3: an endpoint sheds down to ceil(mean) = 4.
    assert.ok(Math.max(...by.values()) <= 5, JSON.stringify(Object.fromEntries(by)));
    assert.ok(codes.length >= N - 5, `${codes.length} clients moved`);
    assert.deepEqual([...new Set(codes)], [1012], 'only 1012 closes');
    const replies = await Promise.all(current.map((c) => echo(c.ws, 'moved')));
    assert.ok(replies.every((r) => r === 'moved'));
    await closeAll(current);
  });

  test('a WebSocketRoute on the main listener and an HTTPRoute on the Gateway with the same path reach their own backends', async () => {
    await apply([...echoApp('side', 1), wsRoute(ns, 'side', { match: { path: '/echo/{rest}' }, backend: { service: { name: 'side', port: 80 } } })]);
    const [side] = await settled('side', 1);
    await kubectlOk(['wait', '-n', ns, '--for=jsonpath={.status.backends.ready}=1', '--timeout=120s', 'wsr/side']);
    const viaMain = await eventually('the WebSocketRoute served', () => greet(`${wsgate!.url}/echo/room`), 240, 250);
    const viaGateway = await greet(`${gatewayUrl}/echo/room`);
    open.push(viaMain, viaGateway);
    assert.equal(viaMain.backend, side);
    assert.match(viaGateway.backend, /^echo-/);
    const wsr = await getJson(['get', 'wsr', 'side']);
    assert.equal(brief(wsr.status.conditions).Accepted, 'True/Accepted');
    const route = await getJson(['get', 'httproute', 'echo']);
    assert.equal(brief(route.status.parents.find((p: Json) => p.controllerName === controllerName).conditions).Accepted, 'True/Accepted');
    await closeAll(open.splice(0));
  });

  test('a Gateway listener on the main port: between a WebSocketRoute and an HTTPRoute claiming the same path the older keeps it, the newer is reported', async () => {
    const mainPort = wsgate!.proxyPort;
    const clashRoute = (name: string, path: string) => ({
      apiVersion: `${GATEWAY}/v1`,
      kind: 'HTTPRoute',
      metadata: { name, namespace: ns },
      spec: { parentRefs: [{ name: 'gw-main' }], rules: [{ matches: [{ path: { type: 'Exact', value: path } }], backendRefs: [{ name: 'echo', port: 80 }] }] },
    });
    const clashWsr = (name: string, path: string) => wsRoute(ns, name, { match: { path }, backend: { service: { name: 'side', port: 80 } } });
    // The older of the two keeps the path: a WebSocketRoute first on /w, an HTTPRoute first on /h.
    await apply([
      {
        apiVersion: `${GATEWAY}/v1`,
        kind: 'Gateway',
        metadata: { name: 'gw-main', namespace: ns },
        spec: { gatewayClassName: className, listeners: [{ name: 'http', port: mainPort, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
      },
      clashWsr('old-w', '/w'),
      clashRoute('old-h', '/h'),
    ]);
    // creationTimestamp has seconds: the newer ones must be created in a later second.
    const created = Date.parse((await getJson(['get', 'wsr', 'old-w'])).metadata.creationTimestamp);
    await eventually('a second after the older routes', () => Date.now() >= created + 2000, 100, 100);
    await apply([clashRoute('new-w', '/w'), clashWsr('new-h', '/h')]);

    const parentOf = async (name: string) => (await getJson(['get', 'httproute', name])).status?.parents?.find((p: Json) => p.controllerName === controllerName);
    const lost = await eventually('the newer HTTPRoute reports the conflict', async () => {
      const ours = await parentOf('new-w');
      return brief(ours?.conditions).Accepted === 'False/ConflictsWithWebSocketRoute' ? ours : undefined;
    }, 240, 250);
    assert.match(lost.conditions.find((c: Json) => c.type === 'Accepted').message, /old-w/);
    const wsr = await eventually('the newer WebSocketRoute reports the conflict', async () => {
      const o = await getJson(['get', 'wsr', 'new-h']);
      return brief(o.status?.conditions).Accepted === 'False/Conflict' ? o : undefined;
    }, 240, 250);
    assert.match(wsr.status.conditions.find((c: Json) => c.type === 'Accepted').message, /HTTPRoute .*old-h/);
    assert.equal(brief((await getJson(['get', 'wsr', 'old-w'])).status.conditions).Accepted, 'True/Accepted');
    assert.equal(brief((await parentOf('old-h')).conditions).Accepted, 'True/Accepted');

    // On the main socket each path goes to the older route's backend.
    const [side] = await settled('side', 1);
    const viaWsr = await greet(`${wsgate!.url}/w`);
    const viaHttpRoute = await greet(`${wsgate!.url}/h`);
    open.push(viaWsr, viaHttpRoute);
    assert.equal(viaWsr.backend, side);
    assert.match(viaHttpRoute.backend, /^echo-/);
    await closeAll(open.splice(0));
  });
});
