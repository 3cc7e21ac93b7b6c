// Compiling against the previous output must give exactly what a compile from scratch gives,
// whatever changed in between: routes added, removed, replaced, re-created (conflict order),
// made invalid; slices, Services and Secrets changed. Seeded random edit sequences; the tables
// are compared whole, lookup index included, and so are the statuses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServiceResolver } from '../../src/controller/resolve-service.js';
import { compile, type CompileOutput } from '../../src/routing/compile.js';
import type { ServiceResolver } from '../../src/routing/types.js';
import { prng } from '../helpers/prng.js';
import { RandomCluster } from './random-cluster.js';
import { randomRequest } from './random-routes.js';

test('incremental compile equals a full compile over random edit sequences', () => {
  let reused = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const rand = prng(seed);
    const cluster = new RandomCluster(rand, 4 + Math.floor(rand() * 16));
    let resolver: ServiceResolver | undefined;
    let previous: CompileOutput | undefined;
    for (let step = 1; step <= 30; step++) {
      const what = cluster.edit();
      const routes = cluster.routeList();
      resolver = buildServiceResolver(cluster.serviceList(), cluster.sliceList(), resolver);
      const incremental = compile({ routes, resolveService: resolver, resolveSecret: cluster.secretResolver(), version: step }, previous);
      const full = compile({
        routes,
        resolveService: buildServiceResolver(cluster.serviceList(), cluster.sliceList()),
        resolveSecret: cluster.secretResolver(),
        version: step,
      });
      const where = `seed ${seed}, step ${step} (${what})`;
      assert.deepEqual(incremental.table, full.table, where);
      assert.deepEqual(incremental.statuses, full.statuses, where);
      for (let k = 0; k < 20; k++) {
        const req = randomRequest(rand);
        assert.equal(incremental.table.lookup(req)?.route.key, full.table.lookup(req)?.route.key, where);
      }
      if (previous) reused += incremental.table.routes.filter((r) => previous!.table.get(r.key) === r).length;
      previous = incremental;
    }
  }
  // Equal results prove little if nothing was ever reused.
  assert.ok(reused > 1000, `only ${reused} routes were reused`);
});
