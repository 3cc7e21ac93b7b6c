// The trie lookup against the linear scan (linear-lookup.ts) on random mixes of WebSocketRoutes
// and HTTPRoute entries over two sockets (the main one, shared, and a Gateway's own): Exact and
// PathPrefix paths, methods, query parameters, hosts. Seeded: a failure names its seed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayRouteEntry } from '../../src/gatewayapi/model.js';
import { compile } from '../../src/routing/compile.js';
import { MAIN_LISTENER } from '../../src/routing/gateway-types.js';
import { pick, prng } from '../helpers/prng.js';
import { entry, gatewayInput, services } from './gateway-entries.js';
import { linearLookup } from './linear-lookup.js';
import { randomRequest, randomRoutes } from './random-routes.js';

const PATHS = ['/', '/a', '/a/', '/a/b', '/b', '/a/b/', '/c/a'];
const HOSTS = [[], [], ['a.example.com'], ['*.example.com']];

function randomEntries(rand: () => number, count: number): GatewayRouteEntry[] {
  return Array.from({ length: count }, (_, i) =>
    entry(
      `h${i}`,
      {
        path: { type: rand() < 0.5 ? 'Exact' : 'PathPrefix', value: pick(rand, PATHS) },
        hostnames: pick(rand, HOSTS),
        ...(rand() < 0.3 ? { method: pick(rand, ['GET', 'POST']) } : {}),
        ...(rand() < 0.3 ? { queryParams: [{ name: 'q', value: pick(rand, ['1', '2']) }] } : {}),
        ...(rand() < 0.2 ? { headers: [{ name: 'x-t', value: '1' }] } : {}),
      },
      rand() < 0.5 ? { gateway: 'main', port: 8080 } : { gateway: 'gw' },
    ),
  );
}

test('trie lookup equals the linear lookup with HTTPRoute entries on two sockets', () => {
  let matched = 0;
  let checked = 0;
  let gatewayHits = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const rand = prng(seed);
    const { table } = compile({
      routes: randomRoutes(rand, Math.floor(rand() * 20)),
      resolveService: services,
      gateway: gatewayInput(randomEntries(rand, 1 + Math.floor(rand() * 20))),
    });
    for (let k = 0; k < 300; k++) {
      const base = randomRequest(rand);
      const req = {
        ...base,
        listener: pick(rand, [MAIN_LISTENER, 'gw-80']),
        ...(rand() < 0.8 ? { method: pick(rand, ['GET', 'POST']) } : {}),
        query: pick(rand, ['', 'q=1', 'q=2', 'q=2&q=1', 'x=1&q=1']),
      };
      const want = linearLookup(table.routes, req);
      const got = table.lookup(req);
      const where = `seed ${seed}, request ${k}: ${req.listener} ${req.method} ${req.host}${req.path}?${req.query}`;
      assert.equal(got?.route.key, want?.route.key, where);
      assert.deepEqual(got?.params, want?.params, where);
      checked++;
      if (want) matched++;
      if (want?.route.kind === 'HTTPRoute') gatewayHits++;
    }
  }
  assert.ok(matched > checked / 3, `only ${matched} of ${checked} requests matched a route`);
  assert.ok(gatewayHits > checked / 5, `only ${gatewayHits} of ${checked} requests matched an HTTPRoute entry`);
});
