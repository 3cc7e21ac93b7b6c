// Readiness by connection count with hysteresis between the high- and low-water marks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CapacityReadiness, waterMarks } from '../../src/overload/capacity-readiness.js';

test('water marks: fractions of --max-connections, low strictly below high', () => {
  assert.deepEqual(waterMarks(200, 0.9, 0.8), { high: 180, low: 160 });
  assert.deepEqual(waterMarks(10, 0.95, 0.94), { high: 10, low: 9 });
  assert.deepEqual(waterMarks(1, 1, 0.5), { high: 1, low: 0 });
});

test('readiness turns full at the high mark, stays full between the marks, turns back at the low mark', () => {
  const r = new CapacityReadiness({ high: 180, low: 160 });
  const seen = [0, 179, 180, 200, 170, 161, 160, 170, 179, 180].map((n) => r.update(n));
  assert.deepEqual(seen, ['accepting', 'accepting', 'full', 'full', 'full', 'full', 'accepting', 'accepting', 'accepting', 'full']);
});

test('no cap: always accepting', () => {
  const r = new CapacityReadiness(undefined);
  assert.equal(r.update(1e9), 'accepting');
});
