// The affinity codec across a key change: cookies of the previous key verify for the grace
// period (on an injected clock), not after; new values are signed with the new key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AffinityCodec } from '../../src/balancer/affinity.js';
import { compile } from '../../src/routing/compile.js';
import { route } from '../fixtures.js';

const OLD = Buffer.from('old-key-0123456789abcdef');
const NEW = Buffer.from('new-key-0123456789abcdef');
const GRACE_MS = 60_000;

function compiledRoute() {
  const r = route('r', {
    backend: { endpoints: [1, 2, 3].map((i) => ({ host: '127.0.0.1', port: 9000 + i })) },
    sessionAffinity: { cookie: {} },
  });
  return compile({ routes: [r] }).table.routes[0]!;
}

function clock(start = 1_000_000) {
  const c = { now: start, read: () => c.now };
  return c;
}

test('after a key change a cookie of the previous key names its endpoint within the grace period, marked as the previous key', () => {
  const r = compiledRoute();
  const t = clock();
  const codec = new AffinityCodec(OLD, { graceMs: GRACE_MS, now: t.read });
  const ep = r.backend.eligible[1]!;
  const oldValue = codec.valueFor(r, ep);
  assert.deepEqual(codec.match(r, oldValue), { endpoint: ep, previousKey: false });

  assert.equal(codec.setKey(NEW), true);
  t.now += GRACE_MS - 1;
  assert.deepEqual(codec.match(r, oldValue), { endpoint: ep, previousKey: true });
  // New cookies are signed with the new key, and verify as current.
  const newValue = codec.valueFor(r, ep);
  assert.notEqual(newValue, oldValue);
  assert.equal(newValue, new AffinityCodec(NEW).valueFor(r, ep));
  assert.deepEqual(codec.match(r, newValue), { endpoint: ep, previousKey: false });
});

test('after the grace period a cookie of the previous key is stale, and stays stale', () => {
  const r = compiledRoute();
  const t = clock();
  const codec = new AffinityCodec(OLD, { graceMs: GRACE_MS, now: t.read });
  const oldValue = codec.valueFor(r, r.backend.eligible[0]!);
  codec.setKey(NEW);
  t.now += GRACE_MS;
  assert.equal(codec.match(r, oldValue), undefined);
  t.now -= 1; // a clock stepping back does not revive a forgotten key
  assert.equal(codec.match(r, oldValue), undefined);
});

test('the same key again changes nothing: the grace period of the real previous key runs on', () => {
  const r = compiledRoute();
  const t = clock();
  const codec = new AffinityCodec(OLD, { graceMs: GRACE_MS, now: t.read });
  const oldValue = codec.valueFor(r, r.backend.eligible[2]!);
  codec.setKey(NEW);
  t.now += GRACE_MS / 2;
  assert.equal(codec.setKey(Buffer.from(NEW)), false, 'a re-read of an unchanged key is not a change');
  assert.equal(codec.match(r, oldValue)?.previousKey, true);
  t.now += GRACE_MS / 2;
  assert.equal(codec.match(r, oldValue), undefined, 'the grace period counts from the real change');
});

test('only one previous key is kept: two changes in a row leave the first key stale at once', () => {
  const r = compiledRoute();
  const t = clock();
  const codec = new AffinityCodec(OLD, { graceMs: GRACE_MS, now: t.read });
  const first = codec.valueFor(r, r.backend.eligible[0]!);
  codec.setKey(NEW);
  const second = codec.valueFor(r, r.backend.eligible[0]!);
  codec.setKey(Buffer.from('third-key-0123456789abcd'));
  assert.equal(codec.match(r, first), undefined);
  assert.equal(codec.match(r, second)?.previousKey, true);
});

test('without a grace period a key change makes every earlier cookie stale at once', () => {
  const r = compiledRoute();
  const codec = new AffinityCodec(OLD, { graceMs: 0 });
  const oldValue = codec.valueFor(r, r.backend.eligible[0]!);
  codec.setKey(NEW);
  assert.equal(codec.match(r, oldValue), undefined);
});

test('an empty key is refused and the current key stays', () => {
  const r = compiledRoute();
  const codec = new AffinityCodec(OLD, { graceMs: GRACE_MS });
  const value = codec.valueFor(r, r.backend.eligible[0]!);
  assert.throws(() => codec.setKey(Buffer.alloc(0)), /must not be empty/);
  assert.equal(codec.match(r, value)?.previousKey, false);
});
