import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from '../../src/stream/backoff.js';

describe('reconnect backoff', () => {
  test('doubles up to the cap, with half of each step random, and starts over after a success', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => low.next()), [50, 100, 200, 400, 500, 500]);
    low.reset();
    assert.equal(low.next(), 50);
    const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => high.next()), [100, 200, 400, 800, 1000]);
  });

  test('proxies cut off together spread out: delays differ within the bounds of the step', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = Array.from({ length: 50 }, () => new Backoff({ initialMs: 1000, maxMs: 30_000, random }).next());
    assert.ok(delays.every((d) => d >= 500 && d <= 1000));
    assert.ok(new Set(delays).size > 40, 'jitter spreads the first attempts');
  });
});
