// A minimal bench result (bench/report.ts BenchResult) with no scenario run, for the tests of
// the report's tables: each test adds the part it renders.

import type { BenchResult } from '../../bench/report.js';

export function benchResult(over: Partial<BenchResult>): BenchResult {
  return {
    date: '2026-12-07T12:00:00.000Z',
    mode: 'quick',
    durationSeconds: 1,
    machine: { cpus: 2, cpuModel: 'test', memoryGiB: 1, kernel: 'k', node: '24' },
    setup: { targets: {}, rounds: 1, inflightPerConnection: 4, latency: { conns: 1, size: 1, rate: 1, durationMs: 1 }, upgrades: { concurrency: 1 }, memory: { conns: 1 }, storm: { clients: 5000, concurrency: 500 } },
    throughput: [],
    latency: {},
    upgrades: {},
    memory: {},
    generatorCheck: undefined,
    controlPlane: undefined,
    ratios: {},
    targetsMet: {},
    ...over,
  };
}
