import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurationError, MAX_TIMER_MS, parseDuration } from '../../src/api/duration.js';

describe('parseDuration', () => {
  const valid: Array<[string, number]> = [
    ['500ms', 500],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['0s', 0],
    ['1h1m1s1ms', 3_661_001],
    ['2m2m', 240_000],
    ['0.5ms', 0.5],
    ['24h', 86_400_000],
    [`${MAX_TIMER_MS}ms`, MAX_TIMER_MS],
  ];
  for (const [text, ms] of valid) it(`${text} = ${ms}ms`, () => assert.equal(parseDuration(text), ms));

  const invalid = ['', '5', 's', '5 s', ' 5s', '-5s', '+5s', '1d', '5us', '1.s', '.5s', '5S', '1h 30m', '1e3ms', 'ms5'];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseDuration(text), (err: unknown) => err instanceof DurationError && err.message.includes('500ms, 5s'));
    });
  }

  it('refuses a value too large to be a number', () => {
    assert.throws(() => parseDuration('9'.repeat(400) + 'h'), DurationError);
  });

  it('refuses a non-string at run time', () => {
    assert.throws(() => parseDuration(5 as unknown as string), DurationError);
  });
});
