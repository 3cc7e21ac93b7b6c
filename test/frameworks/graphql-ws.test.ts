// The graphql-ws client against graphql-ws servers, through a wsgate route that matches on the
// graphql-transport-ws subprotocol: a query and a subscription per client over one socket,
// with wsgate's keepalive pings and message limits on (the client answers the pings, the
// server never sees the pongs, the protocol is undisturbed).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '../helpers/eventually.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics-scrape.js';
import { endpointsOf, marks, since, startFrameworkWsgate, type FrameworkWsgate } from './wsgate.js';

const CLIENTS = 10;

function query<T>(client: Client, q: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let value: T | undefined;
    client.subscribe<T>(
      { query: q },
      {
        next: (r) => {
          if (r.errors) reject(new Error(JSON.stringify(r.errors)));
          else value = r.data as T;
        },
        error: reject,
        complete: () => (value === undefined ? reject(new Error(`no result for ${q}`)) : resolve(value)),
      },
    );
  });
}

function collect(client: Client, q: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const got: number[] = [];
    client.subscribe<{ count: number }>(
      { query: q },
      {
        next: (r) => (r.errors ? reject(new Error(JSON.stringify(r.errors))) : got.push(r.data!.count)),
        error: reject,
        complete: () => resolve(got),
      },
    );
  });
}

describe('graphql-ws through wsgate', () => {
  let fw: FrameworkWsgate;
  const clients: Client[] = [];

  before(async () => {
    fw = await startFrameworkWsgate((backends) => [
      {
        name: 'graphql',
        spec: {
          match: { path: '/graphql', subprotocols: ['graphql-transport-ws'] },
          backend: { endpoints: endpointsOf(backends) },
          keepalive: { pingInterval: '50ms', pongTimeout: '5s' },
          messages: { maxBytes: '64Ki', rate: { perSecond: 1000 } },
        },
      },
    ]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await fw?.close();
  });

  test(`${CLIENTS} clients: a query and a subscription counting to 5, each on one socket to one backend`, async () => {
    const from = marks(fw.backends);
    // lazy: false keeps one socket open for the client's whole life, so the query, the
    // subscription and the second query all travel on the same upgrade.
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const client = createClient({ url: `ws://127.0.0.1:${fw.gw.proxyPort}/graphql`, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
        clients.push(client);
        const first = await query<{ whoami: string }>(client, '{ whoami }');
        const counts = await collect(client, 'subscription { count(to: 5) }');
        const second = await query<{ whoami: string }>(client, '{ whoami }');
        return { first: first.whoami, second: second.whoami, counts };
      }),
    );
    const perBackend = new Map<string, number>();
    for (const r of results) {
      assert.deepEqual(r.counts, [1, 2, 3, 4, 5]);
      assert.equal(r.second, r.first, 'the same backend before and after the subscription');
      perBackend.set(r.first, (perBackend.get(r.first) ?? 0) + 1);
    }
    // One upgrade per client, offering graphql-transport-ws, on the backend it named.
    since(fw.backends, from).forEach((reqs, i) => {
      const upgrades = reqs.filter((r) => r.url === '/graphql' && r.headers.upgrade === 'websocket');
      assert.equal(upgrades.length, perBackend.get(fw.backends[i]!.name) ?? 0, `upgrades on ${fw.backends[i]!.name}`);
      for (const u of upgrades) assert.equal(u.headers['sec-websocket-protocol'], 'graphql-transport-ws');
    });
    // Keepalive pings went out and were answered; the clients still work on the same sockets.
    await eventually('keepalive pings answered', async () => {
      return seriesValue(await scrapeMetrics(fw.gw), 'wsgate_pings_total', 'route="graphql",result="pong"') >= CLIENTS;
    });
    const after = await Promise.all(clients.map((c) => query<{ whoami: string }>(c, '{ whoami }')));
    assert.deepEqual(after.map((a) => a.whoami), results.map((r) => r.first));
    console.log(`# graphql-ws: clients per backend ${JSON.stringify(Object.fromEntries(perBackend))}`);
    assert.equal(perBackend.size, 2, 'clients spread over both backends');
    assert.ok([...perBackend.keys()].every((n) => fw.backends.some((b) => b.name === n)));
  });
});
