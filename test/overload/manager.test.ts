// The memory overload manager driven by a test hook on its memory readings.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OverloadManager, pressureOf, stateFor, type MemoryReading } from '../../src/overload/manager.js';
import { OverloadState, ProcessCounters } from '../../src/overload/process-counters.js';

const heap = { usedBytes: 10, limitBytes: 1000 };

function managerWith(reading: { current: MemoryReading }, counters: ProcessCounters, states: OverloadState[] = []) {
  return new OverloadManager({ counters, refuseAt: 0.9, shedAt: 0.95, shedPerSecond: 5, intervalMs: 100, read: () => reading.current, onState: (s) => states.push(s) });
}

test('pressure: the highest of cgroup working set / limit, this heap and the workers\' heap peak', () => {
  assert.equal(pressureOf({ heap }), 0.01);
  assert.equal(pressureOf({ heap, cgroup: { usedBytes: 50, limitBytes: 100 } }), 0.5);
  assert.equal(pressureOf({ heap: { usedBytes: 960, limitBytes: 1000 }, cgroup: { usedBytes: 50, limitBytes: 100 } }), 0.96);
  assert.equal(pressureOf({ heap, cgroup: { usedBytes: 50, limitBytes: 100 } }, 930), 0.93);
});

test('states by threshold', () => {
  const t = { refuseAt: 0.9, shedAt: 0.95 };
  assert.deepEqual([0.5, 0.9, 0.94, 0.95, 1.2].map((p) => stateFor(p, t)), [OverloadState.Normal, OverloadState.Refusing, OverloadState.Refusing, OverloadState.Shedding, OverloadState.Shedding]);
});

test('manager: refuses, then grants a bounded number of 1013 closes per interval, then recovers', () => {
  const counters = new ProcessCounters();
  const reading = { current: { heap, cgroup: { usedBytes: 500, limitBytes: 1000 } } as MemoryReading };
  const states: OverloadState[] = [];
  const m = managerWith(reading, counters, states);
  assert.equal(m.check(), OverloadState.Normal);
  reading.current = { heap, cgroup: { usedBytes: 920, limitBytes: 1000 } };
  assert.equal(m.check(), OverloadState.Refusing);
  assert.equal(counters.overloadState, OverloadState.Refusing);
  assert.equal(counters.claimShedding(100), 0, 'refusing closes nothing');
  reading.current = { heap, cgroup: { usedBytes: 990, limitBytes: 1000 } };
  // 5 a second, checked every 100 ms: half a close per check, so one every other check.
  const granted: number[] = [];
  for (let i = 0; i < 10; i++) {
    m.check();
    granted.push(counters.claimShedding(100));
  }
  assert.deepEqual(granted, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  assert.equal(granted.reduce((a, b) => a + b), 5, 'five closes in one second');
  // What is not claimed lapses at the next check: a budget does not pile up (two grants of 1
  // in these four checks, one left to claim).
  for (let i = 0; i < 4; i++) m.check();
  assert.equal(counters.claimShedding(100), 1);
  reading.current = { heap, cgroup: { usedBytes: 100, limitBytes: 1000 } };
  assert.equal(m.check(), OverloadState.Normal);
  assert.equal(counters.claimShedding(100), 0);
  assert.deepEqual(states, [OverloadState.Refusing, OverloadState.Shedding, OverloadState.Normal]);
  assert.equal(m.pressure, 0.1);
});

test('manager: a worker\'s heap peak counts once, then starts over', () => {
  const counters = new ProcessCounters();
  const m = managerWith({ current: { heap } }, counters);
  counters.reportHeap(700);
  counters.reportHeap(960);
  counters.reportHeap(800);
  assert.equal(m.check(), OverloadState.Shedding);
  assert.equal(m.check(), OverloadState.Normal);
});

test('manager: stop() leaves the process in the normal state', () => {
  const counters = new ProcessCounters();
  const m = managerWith({ current: { heap: { usedBytes: 999, limitBytes: 1000 } } }, counters);
  m.start();
  assert.equal(counters.overloadState, OverloadState.Shedding);
  m.stop();
  assert.equal(counters.overloadState, OverloadState.Normal);
  assert.equal(counters.claimShedding(10), 0);
});
