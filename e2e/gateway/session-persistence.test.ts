// HTTPRoute sessionPersistence on the real node: the real SignalR hub and Socket.IO server of the
// framework tests as pods (wsgate-e2e-frameworks:dev, two of each) behind real Services, one
// HTTPRoute with sessionPersistence rules on a Gateway of a `wsgate controller` on the host (the
// experimental-channel CRDs: the standard ones prune the field), and the official clients in the
// test process. A SignalR connection token and a Socket.IO sid live in one pod's memory only, so
// every request of a connection (negotiate, transport, sends, polls, the upgrade) must reach the
// pod that issued it: the clients keep the session cookie (or header) wsgate hands out and each
// one's answers name one pod, while different clients spread over both.
//
// Needs the node of e2e/node/node.sh and the image of e2e/node/image.sh. Without the node the
// suite is skipped, unless CI=true, where that is a failure.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { whoamiRound } from '../../test/helpers/signalr-clients.js';
import type { WsgateChild } from '../../test/helpers/wsgate-child.js';
import { apply, eventually, kubectlOk } from '../helpers/cluster.js';
import { assertFrameworksImage, frameworksApp, nodeSkip, podRequests, readyPods, type Pod } from '../helpers/framework-pods.js';
import { GATEWAY, gatewayClass, httpGateway, installExperimentalGatewayCrds, programmedAddress, startGatewayController, type Condition, deleteGatewayTestObjects } from '../helpers/gateway-api.js';

const ns = `gw-sessions-${process.pid}`;
const className = `wsgate-${ns}`;
// Unique per run: never the controller of another e2e file or of a parallel run.
const controllerName = `wsgate.io/e2e-sessions-${process.pid}`;
// An address pool and a port no other e2e file uses.
const POOL = '127.0.76.0/24';
const PORT = 18096;
const CLIENTS = 6;
const SIO_COOKIE = 'sio-session';
const HUB_HEADER = 'x-hub-session';
const ENDING_AFTER_S = 2;
const RS = '\x1e'; // SignalR's JSON hub protocol record separator

const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });
const rewriteTo = (replacePrefixMatch: string) => ({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch } } });
const to = (service: string) => [{ name: service, port: 80 }];

const route = {
  apiVersion: `${GATEWAY}/v1`,
  kind: 'HTTPRoute',
  metadata: { name: 'sessions', namespace: ns },
  spec: {
    parentRefs: [{ name: 'gw' }],
    rules: [
      // The default cookie (wsgate-affinity) for SignalR's negotiate, transports and sends.
      { matches: [prefix('/hub')], backendRefs: to('signalr'), sessionPersistence: { type: 'Cookie' } },
      { matches: [prefix('/socket.io/')], backendRefs: to('socketio'), sessionPersistence: { type: 'Cookie', sessionName: SIO_COOKIE } },
      // The header type: the same hub under /h/hub, the value in a response and request header.
      { matches: [prefix('/h/hub')], filters: [rewriteTo('/hub')], backendRefs: to('signalr'), sessionPersistence: { type: 'Header', sessionName: HUB_HEADER } },
      // Sessions that end: a value older than absoluteTimeout is a new session.
      { matches: [prefix('/t/hub')], filters: [rewriteTo('/hub')], backendRefs: to('signalr'), sessionPersistence: { type: 'Cookie', sessionName: 'ending', absoluteTimeout: `${ENDING_AFTER_S}s` } },
      // Without persistence: the pod's own request log, answered by whichever pod wsgate picks.
      { matches: [prefix('/probe/signalr')], filters: [rewriteTo('/requests')], backendRefs: to('signalr') },
      { matches: [prefix('/probe/socketio')], filters: [rewriteTo('/requests')], backendRefs: to('socketio') },
    ],
  },
};

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const brief = (conditions: Condition[] | undefined) => Object.fromEntries((conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
const count = (names: string[]) => names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>());
const idOf = (url: string, key: string) => new URL(url, 'http://x').searchParams.get(key);

/** The session cookie `name` of a response's Set-Cookie headers (its value), if any. */
function setCookie(res: Response, name: string): string | undefined {
  const found = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return found?.slice(name.length + 1).split(';')[0];
}

/** A different value of the same shape: the last character of the signature changed. */
const forge = (value: string) => value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');

/**
 * SignalR without the client library, for the header type (the official client cannot echo a
 * response header): the transport of an already negotiated token over a raw WebSocket, the JSON
 * hub protocol handshake and one Whoami invocation; resolves with the pod's name.
 */
function whoamiOverWebSocket(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 10_000, perMessageDeflate: false });
    let buffered = '';
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
    ws.once('open', () => ws.send(`${JSON.stringify({ protocol: 'json', version: 1 })}${RS}`));
    ws.on('message', (data: Buffer) => {
      buffered += data.toString();
      const records = buffered.split(RS);
      buffered = records.pop()!;
      for (const record of records) {
        const msg = JSON.parse(record) as { type?: number; invocationId?: string; result?: string; error?: string };
        if (msg.type === undefined) {
          if (msg.error) return reject(new Error(msg.error)); // the handshake's answer
          ws.send(`${JSON.stringify({ type: 1, invocationId: '1', target: 'Whoami', arguments: [] })}${RS}`);
        } else if (msg.type === 3 && msg.invocationId === '1') {
          ws.once('close', () => resolve(msg.result!));
          ws.close(1000);
        }
      }
    });
  });
}

/** POST negotiate; the connection token and the response. */
async function negotiate(url: string, headers: Record<string, string> = {}): Promise<{ token: string; res: Response }> {
  const res = await fetch(`${url}/negotiate?negotiateVersion=1`, { method: 'POST', headers });
  assert.equal(res.status, 200, `negotiate at ${url}`);
  return { token: ((await res.json()) as { connectionToken: string }).connectionToken, res };
}

describe('HTTPRoute sessionPersistence on a real node: SignalR and Socket.IO pods, official clients', { skip: nodeSkip }, () => {
  let wsgate: WsgateChild | undefined;
  let httpUrl = '';
  let signalrPods: Pod[] = [];
  let socketioPods: Pod[] = [];
  const sockets: Socket[] = [];

  before(async () => {
    await assertFrameworksImage();
    await installExperimentalGatewayCrds();
    await kubectlOk(['create', 'namespace', ns]);
    await apply([
      gatewayClass(className, controllerName),
      httpGateway(ns, 'gw', className, PORT),
      ...frameworksApp(ns, 'signalr', 2),
      ...frameworksApp(ns, 'socketio', 2),
      route,
    ]);
    wsgate = await startGatewayController({ namespace: ns, lease: 'gw-sessions', controllerName, pool: POOL });
    await wsgate.waitForLog(/became leader/, 30_000);
    const address = await programmedAddress(ns, 'gw');
    httpUrl = `http://${address}:${PORT}`;
    [signalrPods, socketioPods] = await Promise.all([readyPods(ns, 'signalr', 2), readyPods(ns, 'socketio', 2)]);
    // wsgate knows both pods of each Service once requests without a session reach both.
    for (const [app, pods] of [['signalr', signalrPods], ['socketio', socketioPods]] as const) {
      await eventually(`wsgate balances ${app} over ${pods.map((p) => p.name).join(', ')}`, async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) {
          const res = await fetch(`${httpUrl}/probe/${app}`);
          if (res.status === 200) seen.add(((await res.json()) as { backend: string }).backend);
        }
        return pods.every((p) => seen.has(p.name));
      }, 240, 250);
    }
  }, { timeout: 240_000 });

  after(async () => {
    for (const s of sockets.splice(0)) s.close();
    await wsgate?.stop();
    await deleteGatewayTestObjects(ns, className);
  });

  test('the route is stored with sessionPersistence (experimental CRDs) and Accepted with ResolvedRefs', async () => {
    const o = JSON.parse(await kubectlOk(['get', 'httproute', 'sessions', '-n', ns, '-o', 'json'])) as Json;
    assert.deepEqual(o.spec.rules[0].sessionPersistence, { type: 'Cookie' }, 'not pruned');
    const ours = o.status.parents.find((p: Json) => p.controllerName === controllerName);
    assert.deepEqual(brief(ours.conditions), { Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' });
  });

  for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling'] as const) {
    test(`SignalR ${transport}: ${CLIENTS} official clients, each on one pod (Whoami), spread over both pods`, async () => {
      const answers = await whoamiRound(`${httpUrl}/hub`, transport, CLIENTS);
      const names = signalrPods.map((p) => p.name);
      for (const pair of answers) {
        assert.equal(new Set(pair).size, 1, `one client, one pod: ${pair.join(',')}`);
        assert.ok(names.includes(pair[0]!), `${pair[0]} is a signalr pod`);
      }
      const perPod = count(answers.map((a) => a[0]!));
      console.log(`# signalr ${transport} via sessionPersistence: clients per pod ${JSON.stringify(Object.fromEntries(perPod))}`);
      assert.equal(perPod.size, 2, 'clients spread over both pods');
      // From the pods' own logs: no connection token was ever used on both pods.
      const [a, b] = await Promise.all(signalrPods.map(async (p) => new Set((await podRequests(p)).map((r) => idOf(r.url, 'id')).filter((t) => t !== null))));
      assert.deepEqual([...a!].filter((t) => b!.has(t)), [], 'tokens seen on both pods');
    });
  }

  test(`Socket.IO default transports (polling, then upgrade): ${CLIENTS} clients keep ${SIO_COOKIE}, each on one pod, spread over both`, async () => {
    const opened = await Promise.all(Array.from({ length: CLIENTS }, () => new Promise<Socket>((resolve, reject) => {
      // withCredentials: in Node, engine.io-client then keeps a cookie jar for its polls and the upgrade.
      const socket = io(httpUrl, { forceNew: true, reconnection: false, timeout: 10_000, withCredentials: true });
      sockets.push(socket);
      const upgraded = new Promise<void>((r) => socket.io.engine.once('upgrade', () => r()));
      socket.once('connect_error', reject);
      socket.once('connect', () => void upgraded.then(() => resolve(socket)));
    })));
    const perPod = new Map<string, number>();
    const logs = new Map(await Promise.all(socketioPods.map(async (p) => [p.name, await podRequests(p)] as const)));
    for (const socket of opened) {
      assert.equal(socket.io.engine.transport.name, 'websocket', 'upgraded to WebSocket');
      const jar = [...(socket.io.engine._cookieJar?.cookies ?? [])].map(([name]) => name);
      assert.ok(jar.includes(SIO_COOKIE), `the client kept ${SIO_COOKIE} (jar: ${jar.join(',')})`);
      const names: string[] = [];
      for (let i = 0; i < 3; i++) names.push((await socket.timeout(5000).emitWithAck('whoami')) as string);
      assert.equal(new Set(names).size, 1, `one client, one pod: ${names.join(',')}`);
      assert.equal(await socket.timeout(5000).emitWithAck('echo', 'hi'), `${names[0]}:hi`);
      perPod.set(names[0]!, (perPod.get(names[0]!) ?? 0) + 1);
      // Every request of this sid (polls, posts, the upgrade) reached the pod that named itself.
      const sid = socket.io.engine.id;
      for (const [pod, requests] of logs) {
        const withSid = requests.filter((r) => idOf(r.url, 'sid') === sid);
        if (pod === names[0]) {
          assert.ok(withSid.some((r) => idOf(r.url, 'transport') === 'websocket'), `the upgrade of ${sid} reached ${pod}`);
          assert.ok(withSid.some((r) => r.method === 'POST'), `a polling POST of ${sid} reached ${pod}`);
        } else {
          assert.deepEqual(withSid, [], `no request of ${sid} reached ${pod}`);
        }
      }
    }
    console.log(`# socket.io default transports via sessionPersistence: clients per pod ${JSON.stringify(Object.fromEntries(perPod))}`);
    assert.deepEqual([...perPod.keys()].sort(), socketioPods.map((p) => p.name));
    for (const s of sockets.splice(0)) s.close();
  });

  test(`header type: negotiate hands out ${HUB_HEADER} (no cookie); the WebSocket carrying it reaches the pod of the token`, async () => {
    const perPod = new Map<string, number>();
    for (let i = 0; i < CLIENTS; i++) {
      const { token, res } = await negotiate(`${httpUrl}/h/hub`);
      const value = res.headers.get(HUB_HEADER);
      assert.ok(value, `${HUB_HEADER} in the negotiate response`);
      assert.deepEqual(res.headers.getSetCookie(), [], 'no cookie for a header session');
      const pod = await whoamiOverWebSocket(`${httpUrl.replace('http:', 'ws:')}/h/hub?id=${encodeURIComponent(token)}`, { [HUB_HEADER]: value });
      perPod.set(pod, (perPod.get(pod) ?? 0) + 1);
    }
    console.log(`# signalr header sessions: per pod ${JSON.stringify(Object.fromEntries(perPod))}`);
    assert.deepEqual([...perPod.keys()].sort(), signalrPods.map((p) => p.name));
  });

  test('a forged cookie is not honoured: each request with it is a new session with a new cookie, spread over both pods', async () => {
    const { res } = await negotiate(`${httpUrl}/hub`);
    const genuine = setCookie(res, 'wsgate-affinity');
    assert.ok(genuine, 'a session cookie');
    const forged = forge(genuine);
    const perPod = new Map<string, number>();
    for (let i = 0; i < CLIENTS; i++) {
      const { token, res: again } = await negotiate(`${httpUrl}/hub`, { cookie: `wsgate-affinity=${forged}` });
      const fresh = setCookie(again, 'wsgate-affinity');
      assert.ok(fresh && fresh !== forged, `a new cookie instead of ${forged}: ${fresh}`);
      // The new cookie names the pod that issued the token: the transport with it reaches that pod.
      const pod = await whoamiOverWebSocket(`${httpUrl.replace('http:', 'ws:')}/hub?id=${encodeURIComponent(token)}`, { cookie: `wsgate-affinity=${fresh}` });
      perPod.set(pod, (perPod.get(pod) ?? 0) + 1);
    }
    assert.deepEqual([...perPod.keys()].sort(), signalrPods.map((p) => p.name), 'the forged value pins no pod');
  });

  test(`absoluteTimeout ${ENDING_AFTER_S}s: the cookie is honoured until then; an ended one is a new session with a new cookie`, async () => {
    const url = `${httpUrl}/t/hub`;
    const { res } = await negotiate(url);
    const ending = setCookie(res, 'ending');
    assert.ok(ending, 'a session cookie');
    const issuedAt = Date.now();
    // Within the session: the same value comes back (no new cookie) and the same pod answers.
    const { token, res: within } = await negotiate(url, { cookie: `ending=${ending}` });
    assert.equal(setCookie(within, 'ending'), undefined, 'no new cookie within the session');
    const first = await whoamiOverWebSocket(`${url.replace('http:', 'ws:')}?id=${encodeURIComponent(token)}`, { cookie: `ending=${ending}` });
    await eventually('the session ended', () => Date.now() > issuedAt + ENDING_AFTER_S * 1000 + 500, 40, 100);
    const pods = new Set<string>();
    for (let i = 0; i < CLIENTS; i++) {
      const { token: t, res: after } = await negotiate(url, { cookie: `ending=${ending}` });
      const fresh = setCookie(after, 'ending');
      assert.ok(fresh && fresh !== ending, `a new cookie for the ended ${ending}`);
      pods.add(await whoamiOverWebSocket(`${url.replace('http:', 'ws:')}?id=${encodeURIComponent(t)}`, { cookie: `ending=${fresh}` }));
    }
    assert.ok(signalrPods.some((p) => p.name === first));
    assert.deepEqual([...pods].sort(), signalrPods.map((p) => p.name), `the ended value no longer pins ${first}`);
  });
});
