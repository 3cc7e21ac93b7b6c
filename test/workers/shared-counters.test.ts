// The shared counters behind --workers: the same answers as the in-process Limiter, a bounded
// table that evicts idle entries, endpoint slots that are never reused while counted on, and
// state really shared between threads.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Limiter } from '../../src/security/rate-limit.js';
import { allocateCounters } from '../../src/workers/shared-layout.js';
import { SharedEndpointHealth } from '../../src/workers/shared-endpoint-health.js';
import { SharedEndpointLoad } from '../../src/workers/shared-endpoint-load.js';
import { SharedLimiter } from '../../src/workers/shared-limiter.js';
import { SharedRouteCursors } from '../../src/workers/shared-route-cursors.js';
import { SlotAllocator } from '../../src/workers/slot-allocator.js';
import { SlotMap } from '../../src/workers/slot-map.js';

test('SharedLimiter gives the in-process Limiter\'s answers (buckets, route and client counts, release)', () => {
  let now = 1_000_000;
  const clock = () => now;
  const buffers = allocateCounters(16, 8, 8);
  const shared = new SharedLimiter(buffers, { now: clock });
  const local = new Limiter({ now: clock, sweepIntervalMs: 0 });
  const steps: unknown[][] = [[], []];
  for (const [i, l] of [shared, local].entries()) {
    const log = steps[i]!;
    for (let k = 0; k < 4; k++) log.push(l.takeToken('ns/r', 'c1', 2));
    now += 500;
    log.push(l.takeToken('ns/r', 'c1', 2), l.takeToken('ns/r', 'c1', 2), l.takeToken('ns/r', 'c2', 2));
    const held = [l.acquire('ns/r', 'c1', { maxConnections: 3, maxConnectionsPerClient: 2 }), l.acquire('ns/r', 'c1', { maxConnections: 3, maxConnectionsPerClient: 2 })];
    log.push(l.acquire('ns/r', 'c1', { maxConnections: 3, maxConnectionsPerClient: 2 }).ok);
    const third = l.acquire('ns/r', 'c2', { maxConnections: 3, maxConnectionsPerClient: 2 });
    log.push(third.ok, l.acquire('ns/r', 'c3', { maxConnections: 3 }), l.routeConnections('ns/r'));
    for (const h of [...held, third]) if (h.ok) h.release();
    log.push(l.routeConnections('ns/r'), l.acquire('ns/r', 'c1', { maxConnectionsPerClient: 2 }).ok);
    now += 100_000;
    l.sweep();
    now = 1_000_000;
  }
  assert.deepEqual(steps[0], steps[1]);
  now += 200_000;
  // The connection still held keeps its entry through the sweep.
  shared.sweep();
  assert.equal(shared.routeConnections('ns/r'), 1);
});

test('SharedLimiter: a full stripe evicts idle entries first, never one with connections; past that it fails open and counts it', () => {
  let now = 0;
  // One stripe of 4 entries: the route entry and 3 clients fill it.
  const l = new SharedLimiter(allocateCounters(16, 1, 4), { now: () => now });
  const held = ['a', 'b', 'c'].map((c) => l.acquire('ns/r', c, { maxConnectionsPerClient: 1 }));
  assert.ok(held.every((h) => h.ok));
  assert.equal(l.clientEntries, 4);
  // A fourth client has no room: admitted uncounted.
  const d = l.acquire('ns/r', 'd', { maxConnectionsPerClient: 1 });
  assert.ok(d.ok);
  assert.equal(l.overflows, 1);
  // Released and refilled entries make room again.
  for (const h of held) if (h.ok) h.release();
  now += 10_000;
  assert.equal(l.takeToken('ns/r', 'e', 1).ok, true);
  assert.equal(l.takeToken('ns/r', 'e', 1).ok, false);
});

test('SlotAllocator: a slot is freed only once its count is 0 and every worker has acked a mapping without it', () => {
  const buffers = allocateCounters(2, 1, 4);
  const alloc = new SlotAllocator(buffers);
  const workerSlots = new SlotMap();
  const load = new SharedEndpointLoad(buffers, workerSlots);
  const health = new SharedEndpointHealth(buffers, workerSlots);
  const apply = (m: { epoch: number; slots: Array<[string, number]> }) => {
    workerSlots.set(m.epoch, m.slots);
    load.remap();
  };
  apply(alloc.assign(new Set(['a:1', 'b:1'])));
  load.acquire('a:1');
  load.acquire('a:1');
  health.fail('b:1');
  assert.equal(health.isEjected('b:1'), true);
  assert.equal(alloc.slots.get('a:1') !== alloc.slots.get('b:1'), true);
  // a leaves while counted on; b leaves idle (its ejection is forgotten, as in one process).
  apply(alloc.assign(new Set(['c:1'])));
  assert.equal(health.isEjected('b:1'), false);
  // c gets no slot (2 slots, both still held): counted locally.
  assert.equal(alloc.unslotted, 1);
  load.acquire('c:1');
  assert.equal(load.get('c:1'), 1);
  // b retires (count 0), a stays (count 2).
  const retired = alloc.collect(workerSlots.epoch)!;
  apply(retired);
  assert.equal(workerSlots.get('b:1'), -1);
  assert.equal(workerSlots.get('a:1') >= 0, true);
  // b's slot is free once acked: the next table gives it to c, whose local count moves onto it.
  alloc.collect(workerSlots.epoch);
  apply(alloc.assign(new Set(['c:1'])));
  assert.equal(alloc.unslotted, 0);
  assert.equal(load.get('c:1'), 1);
  load.release('a:1');
  load.release('a:1');
  assert.equal(load.get('a:1'), 0);
  load.release('c:1');
  assert.equal(load.get('c:1'), 0);
});

test('the counters are shared between threads: connections acquired in two workers add up, limits hold', async () => {
  const buffers = allocateCounters(16, 16, 8);
  const alloc = new SlotAllocator(buffers);
  const mapping = alloc.assign(new Set(['e:1']));
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { load: loadModule, limiter: limiterModule, slots: slotsModule } = workerData.modules;
    Promise.all([import(loadModule), import(limiterModule), import(slotsModule)]).then(([{ SharedEndpointLoad }, { SharedLimiter }, { SlotMap }]) => {
      const slots = new SlotMap();
      slots.set(workerData.mapping.epoch, workerData.mapping.slots);
      const load = new SharedEndpointLoad(workerData.buffers, slots);
      const limiter = new SharedLimiter(workerData.buffers);
      let admitted = 0;
      for (let i = 0; i < 5000; i++) {
        load.acquire('e:1');
        if (limiter.acquire('ns/r', 'client', { maxConnections: 3000 }).ok) admitted++;
      }
      parentPort.postMessage(admitted);
    });`;
  const at = (file: string) => new URL(`../../src/workers/${file}`, import.meta.url).href;
  const modules = { load: at('shared-endpoint-load.js'), limiter: at('shared-limiter.js'), slots: at('slot-map.js') };
  const run = () =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { buffers, mapping, modules } });
      w.once('message', resolve);
      w.once('error', reject);
    });
  const admitted = await Promise.all([run(), run()]);
  const slots = new SlotMap();
  slots.set(mapping.epoch, mapping.slots);
  assert.equal(new SharedEndpointLoad(buffers, slots).get('e:1'), 10_000);
  assert.equal(admitted[0]! + admitted[1]!, 3000);
  assert.equal(new SharedLimiter(buffers).routeConnections('ns/r'), 3000);
});

test('rebalancing across workers: one plan over the summed counts, closes split by what each worker holds', async () => {
  const { planAcrossWorkers, split } = await import('../../src/workers/rebalance.js');
  const { compile } = await import('../../src/routing/compile.js');
  assert.deepEqual(split(100, [80, 70]), [53, 47]);
  assert.deepEqual(split(3, [1, 1, 1]), [1, 1, 1]);
  assert.deepEqual(split(5, [0, 2]), [0, 2]);
  const endpoints = ['a', 'b', 'c'].map((h, i) => ({ host: `10.0.0.${i + 1}`, port: 80 }));
  const { table } = compile({
    routes: [{ apiVersion: 'wsgate.io/v1alpha1', kind: 'WebSocketRoute', metadata: { name: 'rb', namespace: 'ns' }, spec: { match: { path: '/rb' }, backend: { endpoints }, rebalance: { tolerance: 0.2, maxClosesPerSecond: 200 } } }],
  });
  // 300 connections on a and b, nothing on the new c: 100 closes in all, each worker its share.
  const plans = planAcrossWorkers(table, [
    { 'ns/rb': { '10.0.0.1:80': 80, '10.0.0.2:80': 80, '10.0.0.3:80': 0 } },
    { 'ns/rb': { '10.0.0.1:80': 70, '10.0.0.2:80': 70, '10.0.0.3:80': 0 } },
  ]);
  assert.deepEqual(plans, [{ 'ns/rb': { '10.0.0.1:80': 27, '10.0.0.2:80': 27 } }, { 'ns/rb': { '10.0.0.1:80': 23, '10.0.0.2:80': 23 } }]);
});

test('route cursors: one rotation per route for every view, a slot reset and reused only once every worker acked the route gone', () => {
  const buffers = allocateCounters(4, 1, 4, 2);
  const alloc = new SlotAllocator(buffers);
  const w1 = new SlotMap();
  const w2 = new SlotMap();
  const c1 = new SharedRouteCursors(buffers, w1);
  const c2 = new SharedRouteCursors(buffers, w2);
  const apply = (m: { epoch: number; slots: Array<[string, number]>; routes: Array<[string, number]> }) => {
    w1.set(m.epoch, m.slots, m.routes);
    w2.set(m.epoch, m.slots, m.routes);
  };
  apply(alloc.assign(new Set(), new Set(['ns/a', 'ns/b'])));
  // Two workers picking for one route continue one sequence, as one process would.
  assert.deepEqual([c1.next('ns/a'), c2.next('ns/a'), c2.next('ns/a'), c1.next('ns/a')], [1, 2, 3, 4]);
  assert.deepEqual([c2.next('ns/b'), c1.next('ns/b')], [1, 2]);
  // b leaves; c finds no free slot until every worker acked the mapping without b.
  const third = alloc.assign(new Set(), new Set(['ns/a', 'ns/c']));
  assert.equal(alloc.unslottedRoutes, 1);
  assert.equal(c1.next('ns/c'), 1, 'without a slot: counted in this worker');
  alloc.collect(third.epoch - 1);
  apply(alloc.assign(new Set(), new Set(['ns/a', 'ns/c'])));
  assert.equal(alloc.unslottedRoutes, 1, 'not acked yet: b may still be picked with its slot');
  alloc.collect(w1.epoch);
  apply(alloc.assign(new Set(), new Set(['ns/a', 'ns/c'])));
  assert.equal(alloc.unslottedRoutes, 0);
  assert.deepEqual([c2.next('ns/c'), c1.next('ns/c')], [1, 2], 'the reused slot starts at 0');
  assert.equal(c1.next('ns/a'), 5, 'a route that stayed keeps its rotation');
});
