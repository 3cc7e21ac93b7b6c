// The idle-capacity scenario's pure arithmetic (bench/lib/idle-capacity.ts): the count that fits
// the open-file limit, the loopback source addresses, the /proc parsers and the per-connection
// figures. The scenario itself (make bench-capacity) is not a test.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chargedBytesPerConnection,
  connectionsForFdLimit,
  FD_RESERVE,
  kernelSocketBytes,
  nginxWorkerConnections,
  perConnection,
  portRangeSize,
  slabBytes,
  sourceAddresses,
  tcpMemBytes,
  type IdleReadings,
} from '../../bench/lib/idle-capacity.js';

const KiB = 1024;
const MiB = 2 ** 20;

test('idle capacity: the proxy (2 descriptors a connection) sets the count: 20,000 -> 9,750', () => {
  assert.equal(connectionsForFdLimit(20_000), (20_000 - FD_RESERVE) / 2);
  assert.equal(connectionsForFdLimit(20_000), 9750);
  assert.equal(connectionsForFdLimit(1024), 262);
  assert.equal(connectionsForFdLimit(20_001, 0), 10_000);
  assert.equal(connectionsForFdLimit(100), 0);
});

test('idle capacity: nginx gets 1/16 more slots than its 2 per connection, at least 16,384', () => {
  // 9,750 connections: 19,500 slots in use must leave more than 1/16 of the total free.
  const n = nginxWorkerConnections(9750);
  assert.ok(n - 19_500 > n / 16, `${n}`);
  assert.equal(nginxWorkerConnections(0), 16_384);
  assert.equal(nginxWorkerConnections(5000), 16_384);
});

test('idle capacity: source addresses 127.0.0.2.. enough for the ephemeral range, at least four', () => {
  assert.deepEqual(sourceAddresses(9750, 28_232), ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
  // 100,000 connections over 28,232 ports each: four addresses are not enough for a 1,000-port range.
  assert.equal(sourceAddresses(100_000, 1000).length, 100);
  assert.equal(sourceAddresses(100_000, 1000).at(-1), '127.0.0.101');
  assert.throws(() => sourceAddresses(300_000, 1000), /at most 253/);
});

test('idle capacity: /proc parsers', () => {
  assert.equal(portRangeSize('32768\t60999\n'), 28_232);
  assert.throws(() => portRangeSize('60999 32768'), /bad port range/);
  const sockstat = 'sockets: used 343\nTCP: inuse 205 orphan 0 tw 324 alloc 323 mem 7\nUDP: inuse 0 mem 3\n';
  assert.equal(tcpMemBytes(sockstat), 7 * 4096);
  const meminfo = 'MemTotal:       24683520 kB\nSlab:             512000 kB\nSReclaimable:     300000 kB\n';
  assert.equal(slabBytes(meminfo), 512_000 * KiB);
  assert.equal(kernelSocketBytes(sockstat, meminfo), 7 * 4096 + 512_000 * KiB);
  assert.throws(() => tcpMemBytes('UDP: inuse 0 mem 3\n'), /no TCP mem/);
});

test('idle capacity: per-connection figures from the readings with none and with N held', () => {
  const r: IdleReadings = {
    held: 10_000,
    rssIdleBytes: 160 * MiB,
    rssHeldBytes: 260 * MiB,
    heapIdleBytes: 20 * MiB,
    heapHeldBytes: 60 * MiB,
    connectCpuSeconds: 5,
    baseCpuSeconds: 0.01,
    idleCpuSeconds: 0.06,
    idleSeconds: 5,
    kernelIdleBytes: 500 * MiB,
    kernelHeldBytes: 580 * MiB,
  };
  const p = perConnection(r)!;
  assert.equal(p.rssBytes, (100 * MiB) / 10_000);
  assert.equal(p.heapBytes, (40 * MiB) / 10_000);
  assert.equal(p.connectCpuUs, 500);
  // (0.06 - 0.01) s over 5 s and 10,000 connections: 1 µs per connection per second.
  assert.ok(Math.abs(p.idleCpuUsPerSecond - 1) < 1e-9);
  assert.equal(p.kernelBytes, (80 * MiB) / 10_000);
  // The proxy's share of the kernel's socket memory is half (two of four sockets).
  assert.equal(chargedBytesPerConnection(p), (100 * MiB + 40 * MiB) / 10_000);
});

test('idle capacity: no heap without both readings, no negative kernel growth, nothing for no connection', () => {
  const base: IdleReadings = {
    held: 100,
    rssIdleBytes: 10 * MiB,
    rssHeldBytes: 11 * MiB,
    connectCpuSeconds: 0.1,
    baseCpuSeconds: 0.5,
    idleCpuSeconds: 0.2,
    idleSeconds: 1,
    kernelIdleBytes: 9 * MiB,
    kernelHeldBytes: 8 * MiB,
  };
  const p = perConnection(base)!;
  assert.equal('heapBytes' in p, false);
  assert.equal(p.kernelBytes, 0);
  assert.equal(p.idleCpuUsPerSecond, 0);
  assert.equal(perConnection({ ...base, held: 0 }), undefined);
});
