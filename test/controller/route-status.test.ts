import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredStatus, statusDiffers } from '../../src/controller/route-status.js';
import type { RouteStatusResult } from '../../src/routing/types.js';

const ok: RouteStatusResult = {
  key: 'default/r',
  generation: 2,
  accepted: { status: 'True', reason: 'Accepted', message: 'ok' },
  resolvedRefs: { status: 'True', reason: 'ResolvedRefs', message: 'ok' },
  ready: { status: 'True', reason: 'EndpointsReady', message: '1 of 1 endpoints ready' },
  backends: { ready: 1, total: 1 },
};

test('desiredStatus carries generation, three conditions and backend counts', () => {
  const s = desiredStatus(ok, undefined, new Date('2026-01-01T00:00:00.123Z'));
  assert.equal(s.observedGeneration, 2);
  assert.deepEqual(s.conditions!.map((c) => [c.type, c.status, c.observedGeneration, c.lastTransitionTime]), [
    ['Accepted', 'True', 2, '2026-01-01T00:00:00Z'],
    ['ResolvedRefs', 'True', 2, '2026-01-01T00:00:00Z'],
    ['Ready', 'True', 2, '2026-01-01T00:00:00Z'],
  ]);
  assert.deepEqual(s.backends, { ready: 1, total: 1 });
});

test('lastTransitionTime moves only when a condition status changes', () => {
  const first = desiredStatus(ok, undefined, new Date('2026-01-01T00:00:00Z'));
  const notReady: RouteStatusResult = { ...ok, ready: { status: 'False', reason: 'NoReadyEndpoints', message: '0 of 1' }, backends: { ready: 0, total: 1 } };
  const second = desiredStatus(notReady, first, new Date('2026-01-02T00:00:00Z'));
  const byType = Object.fromEntries(second.conditions!.map((c) => [c.type, c.lastTransitionTime]));
  assert.equal(byType.Accepted, '2026-01-01T00:00:00Z');
  assert.equal(byType.Ready, '2026-01-02T00:00:00Z');
});

test('statusDiffers ignores timestamps but sees every other change', () => {
  const a = desiredStatus(ok, undefined, new Date('2026-01-01T00:00:00Z'));
  const same = desiredStatus(ok, undefined, new Date('2026-03-01T00:00:00Z'));
  assert.equal(statusDiffers(a, same), false);
  assert.equal(statusDiffers(undefined, a), true);
  assert.equal(statusDiffers(a, desiredStatus({ ...ok, generation: 3 }, a, new Date())), true);
  assert.equal(statusDiffers(a, desiredStatus({ ...ok, backends: { ready: 1, total: 2 } }, a, new Date())), true);
});
