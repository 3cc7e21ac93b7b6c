import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REBALANCE_MAX_CLOSES_PER_SECOND, DEFAULT_REBALANCE_TOLERANCE } from '../../src/api/defaults.js';
import { planRebalance, planRouteRebalance } from '../../src/balancer/rebalance.js';
import type { CompiledRoute } from '../../src/routing/types.js';

const counts = (o: Record<string, number>) => new Map(Object.entries(o));

test('a new endpoint: the full ones shed down to the fair share', () => {
  assert.deepEqual(Object.fromEntries(planRebalance(counts({ a: 150, b: 150, c: 0 }), 0.2, 1000)), { a: 50, b: 50 });
});

test('within tolerance nothing moves', () => {
  assert.equal(planRebalance(counts({ a: 110, b: 100, c: 90 }), 0.2, 1000).size, 0);
  assert.equal(planRebalance(counts({ a: 1, b: 0 }), 0.2, 1000).size, 0); // ceil(fair) = 1
});

test('the budget caps the closes and goes to the fullest first', () => {
  const plan = planRebalance(counts({ a: 200, b: 100, c: 0 }), 0.2, 10);
  assert.deepEqual(Object.fromEntries(plan), { a: 10 });
  const even = planRebalance(counts({ a: 150, b: 150, c: 0 }), 0.2, 10);
  assert.deepEqual(Object.fromEntries(even), { a: 5, b: 5 });
});

test('one endpoint or no budget: no plan', () => {
  assert.equal(planRebalance(counts({ a: 100 }), 0.2, 10).size, 0);
  assert.equal(planRebalance(counts({ a: 100, b: 0 }), 0.2, 0).size, 0);
});

test('a route plan: spec.rebalance fields left unset take the defaults of src/api/defaults.ts', () => {
  assert.equal(DEFAULT_REBALANCE_TOLERANCE, 0.2);
  assert.equal(DEFAULT_REBALANCE_MAX_CLOSES_PER_SECOND, 5);
  const route = (rebalance: NonNullable<CompiledRoute['spec']['rebalance']>) => ({ spec: { rebalance } }) as unknown as CompiledRoute;
  // 125 is above 100 * 1.2: it sheds, at most 5 a pass.
  assert.deepEqual(Object.fromEntries(planRouteRebalance(route({}), counts({ a: 125, b: 100, c: 75 }))), { a: 5 });
  // 115 is within the default tolerance.
  assert.equal(planRouteRebalance(route({}), counts({ a: 115, b: 100, c: 85 })).size, 0);
  // Set fields win over the defaults.
  assert.equal(planRouteRebalance(route({ tolerance: 0.3 }), counts({ a: 125, b: 100, c: 75 })).size, 0);
  assert.deepEqual(Object.fromEntries(planRouteRebalance(route({ maxClosesPerSecond: 30 }), counts({ a: 125, b: 100, c: 75 }))), { a: 25 });
});
