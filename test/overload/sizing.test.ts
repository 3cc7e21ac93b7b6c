// The default --max-connections from the memory limit (overload/sizing.ts, docs/overload.md).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultMaxConnections, MIN_CONNECTIONS } from '../../src/overload/sizing.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

test('sizing: (limit x 0.8 - (88 MiB + 80 MiB per worker)) / 16 KiB', () => {
  // The chart's default limit, one worker: (409.6 - 168) MiB / 16 KiB.
  assert.equal(defaultMaxConnections(512 * MiB, 1), Math.floor(((512 * 0.8 - 168) * MiB) / 16384));
  assert.equal(defaultMaxConnections(512 * MiB, 1), 15462);
  assert.equal(defaultMaxConnections(2 * GiB, 2), Math.floor((2 * GiB * 0.8 - 248 * MiB) / 16384));
  // More workers, more baseline, fewer connections in the same memory.
  assert.ok(defaultMaxConnections(GiB, 4) < defaultMaxConnections(GiB, 1));
});

test('sizing: a limit below the baseline still takes a few connections', () => {
  assert.equal(defaultMaxConnections(128 * MiB, 2), MIN_CONNECTIONS);
});
