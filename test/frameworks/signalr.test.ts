// The official @microsoft/signalr client against the spec-written hub, through wsgate, on each
// of the three transports. A SignalR connection is negotiate (POST) + a transport request with
// the connection token (+ POST sends and a DELETE for SSE / long polling); the token exists on
// one backend only, so all of them must land there. In Node the client keeps cookies itself
// (FetchHttpClient wraps fetch with fetch-cookie + a tough-cookie jar, and the WebSocket and
// SSE transports copy that jar's cookies into their request headers), so the affinity cookie
// set on the negotiate response comes back on every later request.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startFrameworkBackend, type FrameworkBackend } from '../helpers/framework-backend.js';
import { whoamiRound } from '../helpers/signalr-clients.js';
import { endpointsOf, marks, since, startFrameworkWsgate, type FrameworkWsgate } from './wsgate.js';

const CLIENTS = 10;

const tokenOf = (url: string) => new URL(url, 'http://x').searchParams.get('id');

type Recorded = FrameworkBackend['requests'][number];

/** The request that starts each transport, and what else each must show for a token. */
const transportStart: Record<string, (r: Recorded) => boolean> = {
  WebSockets: (r) => r.method === 'GET' && r.headers.upgrade === 'websocket',
  ServerSentEvents: (r) => r.method === 'GET' && (r.headers.accept ?? '').includes('text/event-stream'),
  LongPolling: (r) => r.method === 'GET' && r.headers.upgrade === undefined && !(r.headers.accept ?? '').includes('text/event-stream'),
};
const alsoSeen: Record<string, string[]> = { WebSockets: [], ServerSentEvents: ['POST'], LongPolling: ['POST', 'DELETE'] };

describe('SignalR through wsgate', () => {
  let fw: FrameworkWsgate;

  before(async () => {
    fw = await startFrameworkWsgate((backends) => [
      {
        name: 'signalr',
        spec: {
          match: { path: '/hub/{rest}' },
          backend: { endpoints: endpointsOf(backends), path: '/hub/{rest}' },
          http: { methods: ['GET', 'POST', 'DELETE', 'OPTIONS'] },
          sessionAffinity: { cookie: {} },
        },
      },
    ]);
  });

  after(async () => {
    await fw?.close();
  });

  for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling'] as const) {
    test(`${transport}: ${CLIENTS} clients, negotiate + transport + sends on one backend each`, async () => {
      const from = marks(fw.backends);
      const answers = await whoamiRound(`${fw.httpUrl}/hub`, transport, CLIENTS);

      const perBackend = new Map<string, number>();
      for (const names of answers) {
        assert.equal(new Set(names).size, 1, `one client, one backend: ${names.join(',')}`);
        perBackend.set(names[0]!, (perBackend.get(names[0]!) ?? 0) + 1);
      }
      // Per backend: as many negotiates as clients that named it, as many connections started
      // (by tokens of this round); the sends (POST) and the DELETE of each token on it too; and
      // over the whole run, no token on both backends. (Requests of an earlier round can arrive
      // late: SignalR's SSE stop does not wait for its close-message POST.)
      const seen = since(fw.backends, from);
      const everToken = fw.backends.map((b) => new Set(b.requests.map((r) => tokenOf(r.url)).filter((t) => t !== null)));
      fw.backends.forEach((b, i) => {
        const reqs = seen[i]!;
        const n = perBackend.get(b.name) ?? 0;
        assert.equal(reqs.filter((r) => r.method === 'POST' && r.url.startsWith('/hub/negotiate')).length, n, `negotiates on ${b.name}`);
        const started = new Set(reqs.filter(transportStart[transport]!).map((r) => tokenOf(r.url)));
        assert.equal(started.size, n, `${transport} connections started on ${b.name}`);
        for (const token of started) {
          assert.ok(token !== null && !everToken[1 - i]!.has(token), `token ${token} reached both backends`);
          for (const method of alsoSeen[transport]!) {
            assert.ok(reqs.some((r) => r.method === method && tokenOf(r.url) === token), `${method} for ${token} on ${b.name}`);
          }
        }
      });
      console.log(`# signalr ${transport}: clients per backend ${JSON.stringify(Object.fromEntries(perBackend))}`);
      assert.equal(perBackend.size, 2, 'clients spread over both backends');
    });
  }
});

// Why the route needs affinity: a connection token is known only to the backend that
// negotiated it. Checked straight against two hubs, without wsgate.
describe('SignalR hub without affinity (direct, no wsgate)', () => {
  let a: FrameworkBackend;
  let b: FrameworkBackend;

  before(async () => {
    [a, b] = await Promise.all([startFrameworkBackend({ name: 'direct-a' }), startFrameworkBackend({ name: 'direct-b' })]);
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  test('a token negotiated on one backend is unknown (404) on the other, on every transport', async () => {
    const res = await fetch(`http://127.0.0.1:${a.port}/hub/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(res.status, 200);
    const { connectionToken } = (await res.json()) as { connectionToken: string };
    const other = `http://127.0.0.1:${b.port}/hub?id=${encodeURIComponent(connectionToken)}`;

    assert.equal((await fetch(other, { headers: { accept: 'text/event-stream' } })).status, 404, 'SSE');
    assert.equal((await fetch(other)).status, 404, 'long poll');
    assert.equal((await fetch(other, { method: 'POST', body: '{"protocol":"json","version":1}\x1e' })).status, 404, 'send');
    const upgrade = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(other.replace('http:', 'ws:'));
      ws.once('unexpected-response', (_req, r) => {
        resolve(r.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => {
        ws.close();
        reject(new Error('upgraded with a token of another backend'));
      });
      ws.once('error', () => undefined);
    });
    assert.equal(upgrade, 404, 'WebSockets');

    // The backend that issued it knows it: the first long poll returns 200 at once.
    assert.equal((await fetch(`http://127.0.0.1:${a.port}/hub?id=${encodeURIComponent(connectionToken)}`)).status, 200);
  });
});
