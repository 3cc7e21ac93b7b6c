// wsgate_closes_total's code label stays bounded whatever close codes clients send.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { closeCodeLabel } from '../../src/metrics/close-codes.js';
import { metricsObserver } from '../../src/metrics/proxy-observer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { fakeLiveConnection } from '../helpers/fake-live-connection.js';

test('close code labels: IANA codes as they are, application ranges collapsed, the rest other', () => {
  assert.deepEqual([1000, 1001, 1006, 1011, 1013, 1015].map(closeCodeLabel), ['1000', '1001', '1006', '1011', '1013', '1015']);
  assert.deepEqual([3000, 3999, 4000, 4999].map(closeCodeLabel), ['3xxx', '3xxx', '4xxx', '4xxx']);
  assert.deepEqual([0, 999, 1016, 2999, 5000, 65535, 1000.5, NaN].map(closeCodeLabel), Array(8).fill('other'));
});

test('500 distinct client close codes make a bounded number of series', async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const observer = metricsObserver(metrics, pino({ level: 'silent' }), { endpointMetrics: false });
  // Codes 1000..4999 spread over 500 distinct values, as a hostile client would send them.
  const codes = Array.from({ length: 500 }, (_, i) => 1000 + i * 8);
  assert.equal(new Set(codes).size, 500);
  for (const code of codes) {
    const conn = fakeLiveConnection('default/chat', 'e1', code);
    observer.opened(conn);
    observer.closed(conn);
  }
  const series = (await metrics.closes.get()).values;
  assert.equal(series.reduce((n, s) => n + s.value, 0), 500, 'every close counted');
  assert.ok(series.length <= 19, `${series.length} series`);
  const labels = series.map((s) => s.labels.code).sort();
  assert.deepEqual(labels, ['1000', '1008', '3xxx', '4xxx', 'other']);
});
