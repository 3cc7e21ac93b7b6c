// The default --max-connections from the memory limit (overload/sizing.ts, docs/overload.md):
// 24 KiB a plain connection, 64 KiB with a TLS listener (the capacity bench, bench/capacity.ts).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { overloadOptions, type OverloadFlags } from '../../src/cli/overload-flags.js';
import { defaultMaxConnections, MIN_CONNECTIONS } from '../../src/overload/sizing.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

test('sizing: (limit x 0.8 - (88 MiB + 80 MiB per worker)) / 24 KiB', () => {
  // The chart's default limit, one worker: (409.6 - 168) MiB / 24 KiB.
  assert.equal(defaultMaxConnections(512 * MiB, 1), Math.floor(((512 * 0.8 - 168) * MiB) / 24576));
  assert.equal(defaultMaxConnections(512 * MiB, 1), 10_308);
  assert.equal(defaultMaxConnections(2 * GiB, 2), Math.floor((2 * GiB * 0.8 - 248 * MiB) / 24576));
  // More workers, more baseline, fewer connections in the same memory.
  assert.ok(defaultMaxConnections(GiB, 4) < defaultMaxConnections(GiB, 1));
});

test('sizing: with a TLS listener, 64 KiB a connection', () => {
  assert.equal(defaultMaxConnections(512 * MiB, 1, 'tls'), Math.floor(((512 * 0.8 - 168) * MiB) / 65536));
  assert.equal(defaultMaxConnections(512 * MiB, 1, 'tls'), 3865);
  assert.equal(defaultMaxConnections(512 * MiB, 1, 'plain'), defaultMaxConnections(512 * MiB, 1));
});

test('sizing: a limit below the baseline still takes a few connections', () => {
  assert.equal(defaultMaxConnections(128 * MiB, 2), MIN_CONNECTIONS);
  assert.equal(defaultMaxConnections(128 * MiB, 2, 'tls'), MIN_CONNECTIONS);
});

test('sizing: the flags size the default cap for TLS when --tls-listen is given', () => {
  const cgroup = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-sizing-'));
  try {
    fs.writeFileSync(path.join(cgroup, 'memory.max'), String(GiB));
    fs.writeFileSync(path.join(cgroup, 'memory.current'), String(100 * MiB));
    fs.writeFileSync(path.join(cgroup, 'memory.stat'), 'anon 1\ninactive_file 0\n');
    const flags: OverloadFlags = {
      readyHighWater: 0.9,
      readyLowWater: 0.8,
      cgroupRoot: cgroup,
      overloadManager: false,
      overloadRefuseAt: 0.9,
      overloadShedAt: 0.95,
      overloadShedPerSecond: 50,
      overloadMaxBody: 65536,
      overloadCheckInterval: 1000,
      retryAfter: 5,
      workers: 1,
    };
    const limit = Math.min(GiB, os.totalmem());
    assert.equal(overloadOptions(flags).limits.maxConnections, defaultMaxConnections(limit, 1, 'plain'));
    assert.equal(overloadOptions({ ...flags, tlsListen: { host: '127.0.0.1', port: 0 } }).limits.maxConnections, defaultMaxConnections(limit, 1, 'tls'));
    // An explicit --max-connections wins either way.
    assert.equal(overloadOptions({ ...flags, maxConnections: 7, tlsListen: { host: '127.0.0.1', port: 0 } }).limits.maxConnections, 7);
  } finally {
    fs.rmSync(cgroup, { recursive: true, force: true });
  }
});
