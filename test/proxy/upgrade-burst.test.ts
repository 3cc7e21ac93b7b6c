// An upgrade counts on its endpoint from the moment it is chosen, not from when its backend
// connect completes: in a burst (a reconnect storm) the upgrades that arrive while others are
// still connecting see them, so least connections spreads the burst over the endpoints.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { EndpointLoad } from '../../src/balancer/load.js';
import { RequestContext } from '../../src/pipeline/context.js';
import { ConnectionRegistry } from '../../src/proxy/connections.js';
import type { CompiledRoute } from '../../src/routing/types.js';
import type { Endpoint } from '../../src/routing/endpoint.js';
import { bareExchanges } from '../helpers/bare-exchanges.js';
import { eventually } from '../helpers/eventually.js';

test('a burst of upgrades is spread by least connections while their backend connects are still pending', async () => {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const connections = new ConnectionRegistry();
  try {
    const endpoints = ['a', 'b', 'c'].map((id) => ({ id, host: '127.0.0.1', port }) as unknown as Endpoint);
    const load = new EndpointLoad();
    const exchanges = bareExchanges(load, connections);
    const route = { key: 'default/burst', timeouts: { connectMs: 5000 }, backend: {} } as unknown as CompiledRoute;
    // Least connections as the chooser does it: the endpoint with the fewest counted, first on ties.
    const leastLoaded = () => endpoints.reduce((best, e) => (load.get(e.id) < load.get(best.id) ? e : best));
    const picks: string[] = [];
    for (let i = 0; i < 9; i++) {
      const ctx = new RequestContext('upgrade', { headers: {}, url: '/' } as never, '127.0.0.1', 'main');
      ctx.route = route;
      const client = new PassThrough();
      // run() chooses synchronously, then connects: nine choices before any connect is done.
      exchanges.run(ctx, client, Buffer.alloc(0), () => {
        const e = leastLoaded();
        picks.push(e.id);
        return e;
      }, 1);
      // The client leaves before its connect completes: the exchange gives the count back.
      client.destroy();
    }
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => picks.filter((p) => p === id).length),
      [3, 3, 3],
      `picks ${picks.join(',')}`,
    );
    await eventually('every count given back', () => endpoints.every((e) => load.get(e.id) === 0));
  } finally {
    connections.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
