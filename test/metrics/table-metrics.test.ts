// After any sequence of table swaps, the table gauges say what they would say had only the last
// table ever been recorded: a swap updates the series of changed routes, removes those of
// routes that left, and leaves the others as they are.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServiceResolver } from '../../src/controller/resolve-service.js';
import { recordTable } from '../../src/metrics/table-metrics.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile, type CompileOutput } from '../../src/routing/compile.js';
import type { ServiceResolver } from '../../src/routing/types.js';
import { prng } from '../helpers/prng.js';
import { RandomCluster } from '../routing/random-cluster.js';

async function gauges(m: Metrics): Promise<unknown> {
  const [endpoints, routes] = await Promise.all([m.endpoints.get(), m.routes.get()]);
  const sorted = (values: Array<{ labels: object; value: number }>) =>
    values.map((v) => ({ labels: v.labels, value: v.value })).sort((a, b) => (JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1));
  return { endpoints: sorted(endpoints.values), routes: sorted(routes.values) };
}

test('recording swaps against the previous table equals recording the last table alone', async () => {
  const rand = prng(7);
  const cluster = new RandomCluster(rand, 12);
  const metrics = new Metrics();
  let resolver: ServiceResolver | undefined;
  let previous: CompileOutput | undefined;
  for (let step = 0; step < 60; step++) {
    const what = cluster.edit();
    resolver = buildServiceResolver(cluster.serviceList(), cluster.sliceList(), resolver);
    const out = compile({ routes: cluster.routeList(), resolveService: resolver, resolveSecret: cluster.secretResolver() }, previous);
    recordTable(metrics, out.table, out.statuses, previous?.table);
    const fresh = new Metrics();
    recordTable(fresh, out.table, out.statuses);
    assert.deepEqual(await gauges(metrics), await gauges(fresh), `step ${step} (${what})`);
    previous = out;
  }
});
