import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRebalance } from '../../src/balancer/rebalance.js';

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
