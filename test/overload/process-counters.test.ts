// The process counters: the connection cap's check-and-increment, also across worker threads.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { PROCESS_COUNTER_BYTES, ProcessCounters } from '../../src/overload/process-counters.js';

test('connection cap: takes up to max, refuses past it, a release frees a slot; 0 = no cap', () => {
  const c = new ProcessCounters();
  for (let i = 0; i < 3; i++) assert.equal(c.tryAcquireConnection(3), true);
  assert.equal(c.tryAcquireConnection(3), false);
  c.releaseConnection();
  assert.equal(c.connections, 2);
  assert.equal(c.tryAcquireConnection(3), true);
  assert.equal(c.tryAcquireConnection(0), true);
  assert.equal(c.connections, 4);
});

test('connection cap: four threads racing for 1,000 slots take exactly 1,000', async () => {
  const buffer = new SharedArrayBuffer(PROCESS_COUNTER_BYTES);
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    const a = new Int32Array(workerData, 0, 4);
    let got = 0;
    for (let i = 0; i < 5000; i++) {
      for (;;) {
        const n = Atomics.load(a, 0);
        if (n >= 1000) break;
        if (Atomics.compareExchange(a, 0, n, n + 1) === n) { got++; break; }
      }
    }
    parentPort.postMessage(got);`;
  // The same compare-and-swap as ProcessCounters.tryAcquireConnection, in threads of their own.
  const got = await Promise.all(
    Array.from({ length: 4 }, () => new Promise<number>((resolve, reject) => {
      const w = new Worker(src, { eval: true, workerData: buffer });
      w.once('message', (n: number) => resolve(n));
      w.once('error', reject);
    })),
  );
  assert.equal(got.reduce((a, b) => a + b), 1000);
  assert.equal(new ProcessCounters(buffer).connections, 1000);
  assert.equal(new ProcessCounters(buffer).tryAcquireConnection(1000), false);
});

test('shedding budget: claims never exceed the grant in total', () => {
  const c = new ProcessCounters();
  c.grantShedding(5);
  assert.equal(c.claimShedding(3), 3);
  assert.equal(c.claimShedding(3), 2);
  assert.equal(c.claimShedding(3), 0);
});
