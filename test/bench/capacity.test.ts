// The bench's connection-capacity estimate (pure arithmetic; the benchmark itself is not a test).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capacityWithin, RSS_BUDGET_BYTES } from '../../bench/lib/capacity.js';

const MiB = 2 ** 20;

test('capacity: extrapolates from the higher count with the slope between the two counts', () => {
  // 100 MiB at 2,500 held, 110 MiB at 5,000: 4,194 bytes a connection past the first half.
  const c = capacityWithin(RSS_BUDGET_BYTES, { held: 2500, rssBytes: 100 * MiB }, { held: 5000, rssBytes: 110 * MiB })!;
  assert.equal(c.marginalBytesPerConnection, Math.round((10 * MiB) / 2500));
  // (1024 - 110) MiB left at 10 MiB per 2,500 connections: 914 x 250 more.
  assert.equal(c.connections, 5000 + 914 * 250);
});

test('capacity: no estimate from a flat or falling RSS, or a single count', () => {
  assert.equal(capacityWithin(RSS_BUDGET_BYTES, { held: 2500, rssBytes: 100 * MiB }, { held: 5000, rssBytes: 100 * MiB }), undefined);
  assert.equal(capacityWithin(RSS_BUDGET_BYTES, { held: 2500, rssBytes: 100 * MiB }, { held: 5000, rssBytes: 90 * MiB }), undefined);
  assert.equal(capacityWithin(RSS_BUDGET_BYTES, { held: 5000, rssBytes: 100 * MiB }, { held: 5000, rssBytes: 110 * MiB }), undefined);
});
