// The swap bookkeeping of the proxy: from the changed routes only, it must find exactly the
// endpoints and routes that left, the same as a full comparison of the two tables would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocketRoute } from '../../src/api/types.js';
import { TableDiff } from '../../src/proxy/table-diff.js';
import { compile, type CompileOutput } from '../../src/routing/compile.js';
import { RoutingTable } from '../../src/routing/table.js';
import { route } from '../fixtures.js';

const ep = (n: number) => ({ host: '10.0.0.1', port: 9000 + n });
const wsr = (name: string, eps: number[]) => route(name, { match: { path: `/${name}/{rest}` }, backend: { endpoints: eps.map(ep) } });

const ids = (t: RoutingTable) => new Set(t.routes.flatMap((r) => r.backend.endpoints.map((e) => e.id)));
const keys = (t: RoutingTable) => new Set(t.routes.map((r) => r.key));
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

test('a swap reports the endpoints and routes that left, and nothing that stayed', () => {
  const diff = new TableDiff();
  const t1 = compile({ routes: [wsr('a', [1, 2]), wsr('b', [2, 3])], version: 1 });
  assert.deepEqual(diff.advance(RoutingTable.empty(), t1.table), { goneEndpoints: [], goneRoutes: [] });
  // Route a loses endpoint 2, which route b still has: nothing is gone.
  const t2 = compile({ routes: [wsr('a', [1]), wsr('b', [2, 3])], version: 2 }, t1);
  assert.deepEqual(diff.advance(t1.table, t2.table), { goneEndpoints: [], goneRoutes: [] });
  // Route b goes: its endpoints 2 and 3 are no one's any more.
  const t3 = compile({ routes: [wsr('a', [1])], version: 3 }, t2);
  const change = diff.advance(t2.table, t3.table);
  assert.deepEqual(change.goneRoutes, ['default/b']);
  assert.deepEqual(change.goneEndpoints.sort(), ['10.0.0.1:9002', '10.0.0.1:9003']);
});

test('on seeded random swaps it agrees with comparing the whole tables', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const diff = new TableDiff();
  let prev: CompileOutput = compile({ routes: [], version: 0 });
  let routes: WebSocketRoute[] = [];
  for (let step = 1; step <= 300; step++) {
    // Edit a few routes; untouched ones stay the same objects, as informer caches keep them.
    const next = [...routes];
    for (let k = 0; k < 1 + rand(3); k++) {
      const name = `r${rand(12)}`;
      const i = next.findIndex((r) => r.metadata.name === name);
      const eps = [...new Set(Array.from({ length: rand(4) }, () => rand(10)))];
      if (i !== -1 && rand(4) === 0) next.splice(i, 1);
      else if (eps.length > 0) i === -1 ? next.push(wsr(name, eps)) : (next[i] = wsr(name, eps));
    }
    routes = next;
    const out = compile({ routes, version: step }, prev);
    const change = diff.advance(prev.table, out.table);
    assert.deepEqual(change.goneEndpoints.sort(), minus(ids(prev.table), ids(out.table)), `step ${step}: endpoints`);
    assert.deepEqual(change.goneRoutes.sort(), minus(keys(prev.table), keys(out.table)), `step ${step}: routes`);
    prev = out;
  }
});
