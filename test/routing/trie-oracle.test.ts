// The trie lookup must give exactly what the linear scan gave (linear-lookup.ts), for every
// request, on route sets where hosts, shapes and conditions overlap. Seeded: a failure names
// its seed and request, and reruns the same way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/routing/compile.js';
import { prng } from '../helpers/prng.js';
import { linearLookup } from './linear-lookup.js';
import { randomRequest, randomRoutes } from './random-routes.js';

test('trie lookup equals the linear lookup on random route sets and requests', () => {
  let matched = 0;
  let checked = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const rand = prng(seed);
    const { table } = compile({ routes: randomRoutes(rand, 1 + Math.floor(rand() * 40)) });
    for (let k = 0; k < 300; k++) {
      const req = randomRequest(rand);
      const want = linearLookup(table.routes, req);
      const got = table.lookup(req);
      const where = `seed ${seed}, request ${k}: ${req.host}${req.path}`;
      assert.equal(got?.route.key, want?.route.key, where);
      assert.deepEqual(got?.params, want?.params, where);
      checked++;
      if (want) matched++;
    }
  }
  // The vocabularies must make most requests hit something, or the comparison proves little.
  assert.ok(matched > checked / 2, `only ${matched} of ${checked} requests matched a route`);
});
