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

// Values that end (HTTPRoute sessionPersistence.absoluteTimeout, v2) across a key change: the
// previous key's are honoured within both the grace period and their own end, and signing one
// again with the current key keeps its end.

function endingRoute(timeoutSeconds: number) {
  const r = compiledRoute();
  return { ...r, affinity: { ...r.affinity!, absoluteTimeoutSeconds: timeoutSeconds } };
}

const endOf = (value: string) => value.split('.')[2];

/** A route whose values end `timeoutSeconds` after they are issued, and a codec of OLD on a clock. */
function endingSetup(timeoutSeconds: number) {
  const t = clock(1_800_000_000_000);
  return { r: endingRoute(timeoutSeconds), t, codec: new AffinityCodec(OLD, { graceMs: GRACE_MS, now: t.read }) };
}

test('a v2 value of the previous key names its endpoint within the grace period, with its end; re-signed, it keeps that end', () => {
  const { r, t, codec } = endingSetup(120);
  const ep = r.backend.eligible[1]!;
  const oldValue = codec.valueFor(r, ep);
  assert.match(oldValue, /^v2\./);
  codec.setKey(NEW);
  t.now += 30_000;
  const match = codec.match(r, oldValue);
  assert.deepEqual(match, { endpoint: ep, previousKey: true, expiry: endOf(oldValue) });
  const renewed = codec.valueFor(r, ep, match!.expiry);
  assert.notEqual(renewed, oldValue, 'signed with the new key');
  assert.equal(endOf(renewed), endOf(oldValue), 'the same end, not 120 s from now');
  assert.notEqual(endOf(codec.valueFor(r, ep)), endOf(oldValue), 'a new session would end later');
  assert.deepEqual(codec.match(r, renewed), { endpoint: ep, previousKey: false, expiry: endOf(oldValue) });
  t.now += 30_000;
  assert.equal(codec.match(r, oldValue), undefined, 'the previous key is past its grace');
  assert.equal(codec.match(r, renewed)?.endpoint, ep, 'the re-signed value runs on to its end');
  t.now += 60_000;
  assert.equal(codec.match(r, renewed), undefined, 'and ends 120 s after the first value was issued');
});

test('a v2 value of the previous key that has ended is refused within the grace period', () => {
  const { r, t, codec } = endingSetup(10);
  const oldValue = codec.valueFor(r, r.backend.eligible[0]!);
  t.now += 5_000;
  codec.setKey(NEW);
  assert.equal(codec.match(r, oldValue)?.previousKey, true);
  t.now += 5_000;
  assert.equal(codec.match(r, oldValue), undefined, 'its own end comes first');
});

test('a v2 value of the previous key with its end moved, or as v1, is refused', () => {
  const { r, t, codec } = endingSetup(60);
  const [, tag, expiry, sig] = codec.valueFor(r, r.backend.eligible[0]!).split('.');
  codec.setKey(NEW);
  const later = (parseInt(expiry!, 36) + 3600).toString(36);
  assert.equal(codec.match(r, `v2.${tag}.${later}.${sig}`), undefined);
  assert.equal(codec.match(r, `v1.${tag}`), undefined);
});
