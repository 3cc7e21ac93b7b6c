// wsgate_tls_certificate_expiry_timestamp_seconds: one series per Secret serving a certificate,
// its leaf certificate's notAfter; gone with the route that used it.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { recordTable } from '../../src/metrics/table-metrics.js';
import { Metrics } from '../../src/metrics/registry.js';
import { compile } from '../../src/routing/compile.js';
import type { SecretResolver } from '../../src/routing/types.js';
import { route } from '../fixtures.js';
import { makeCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';

test('certificate expiry: one series per TLS Secret in the table, at its leaf\'s notAfter; removed when no route uses it', async () => {
  const ca = makeCa();
  const leaf = ca.issue('chat.example.com', ['chat.example.com']);
  const secrets: SecretResolver = (namespace, name) =>
    namespace === 'default' && name === 'chat-tls'
      ? { ok: true, data: { 'tls.crt': Buffer.from(leaf.cert + ca.cert), 'tls.key': Buffer.from(leaf.key) } }
      : { ok: false, reason: 'SecretNotFound', message: 'not found' };
  const tlsRoute = route('chat', { hosts: ['chat.example.com'], tls: { secretRef: { name: 'chat-tls' } } });
  const metrics = new Metrics({ defaultMetrics: false });
  const first = compile({ routes: [tlsRoute, route('plain', { match: { path: '/plain' } })], resolveSecret: secrets });
  recordTable(metrics, first.table, first.statuses);
  const notAfter = Math.floor(new X509Certificate(leaf.cert).validToDate.getTime() / 1000);
  assert.deepEqual((await metrics.certificateExpiry.get()).values.map((v) => [v.labels.secret, v.value]), [['default/chat-tls', notAfter]]);
  // The leaf's expiry, not the CA's (issued later, so it differs by at least the issue time).
  assert.ok(Math.abs(notAfter - Date.now() / 1000 - 2 * 86400) < 3600);

  const second = compile({ routes: [route('plain', { match: { path: '/plain' } })], resolveSecret: secrets }, first);
  recordTable(metrics, second.table, second.statuses, first.table);
  assert.deepEqual((await metrics.certificateExpiry.get()).values, []);
});

test('event-loop lag: this thread\'s p50, p99 and max once the loop ran', async () => {
  const metrics = new Metrics({ defaultMetrics: false, thread: 'worker-3' });
  // The monitor samples every 20 ms: polled until it has (the first scrapes may come before).
  const text = await eventually('lag samples', async () => {
    const t = await metrics.registry.metrics();
    return t.includes('wsgate_event_loop_lag_seconds{') ? t : undefined;
  });
  for (const stat of ['p50', 'p99', 'max']) assert.match(text, new RegExp(`wsgate_event_loop_lag_seconds\\{thread="worker-3",stat="${stat}"\\} [0-9.e-]+`));
});
