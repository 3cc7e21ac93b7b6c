// The stateless affinity value (src/balancer/affinity.ts): the same endpoint gives the same value
// under one key, on every replica; a route with an absolute timeout (HTTPRoute
// sessionPersistence.absoluteTimeout) gets values that end, which no client can extend or strip;
// the value travels in a cookie or in a header.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { describe, it, mock } from 'node:test';
import { AffinityCodec, affinityHeader, affinityValue } from '../../src/balancer/affinity.js';
import type { CompiledAffinity, CompiledRoute, Endpoint } from '../../src/routing/types.js';
import { makeEndpoint } from '../../src/routing/types.js';

const KEY = 'a test key of sufficient length';
const e1 = makeEndpoint('10.0.0.1', 8080);
const e2 = makeEndpoint('10.0.0.2', 8080);
const cookie: CompiledAffinity = { carrier: 'cookie', name: 'wsgate-affinity', path: '/', sameSite: 'Lax', secure: 'auto' };

function route(affinity: CompiledAffinity, eligible: Endpoint[] = [e1, e2]): CompiledRoute {
  return { namespace: 'apps', affinity, backend: { eligible } } as unknown as CompiledRoute;
}

describe('AffinityCodec', () => {
  it('without an end: v1 values, the same on every replica with the key, a forged one names nothing', () => {
    const r = route(cookie);
    const a = new AffinityCodec(KEY);
    const b = new AffinityCodec(KEY);
    const v = a.valueFor(r, e2);
    assert.match(v, /^v1\.[A-Za-z0-9_-]{22}$/);
    assert.equal(b.endpointFor(r, v), e2, 'another replica reads it');
    assert.equal(a.endpointFor(r, 'v1.AAAAAAAAAAAAAAAAAAAAAA'), undefined);
    assert.equal(new AffinityCodec('another key of sufficient length').endpointFor(r, v), undefined);
  });

  it('an endpoint\'s tag is one HMAC per route snapshot and endpoint, not one per value handed out, under a KeyObject', (t) => {
    const a = new AffinityCodec(KEY);
    const r = route(cookie);
    const first = a.valueFor(r, e1);
    // affinity.ts imports createHmac by name: syncBuiltinESMExports makes the mock what it calls.
    const hmac = mock.method(crypto, 'createHmac');
    syncBuiltinESMExports();
    t.after(() => {
      hmac.mock.restore();
      syncBuiltinESMExports();
    });
    for (let i = 0; i < 50; i++) assert.equal(a.valueFor(r, e1), first);
    assert.equal(hmac.mock.callCount(), 0, 'the first value\'s tag is kept');
    a.valueFor(r, e2);
    const next = route(cookie);
    assert.equal(a.valueFor(next, e1), first, 'a new snapshot of the route: the same tag, computed again');
    assert.equal(a.valueFor(route({ ...cookie }, [e1]), e1), first);
    assert.equal(hmac.mock.callCount(), 3, 'e2 once, then e1 once per new snapshot');
    // Given the bytes, createHmac prepares a key from them on every call (about 6x the HMAC).
    assert.ok(hmac.mock.calls.every((c) => c.arguments[1] instanceof crypto.KeyObject), 'the key, made a KeyObject once');
    assert.notEqual(a.valueFor({ ...next, namespace: 'other' } as CompiledRoute, e1), first, 'the namespace is in the tag');
  });

  it('with an absolute timeout: the value names its endpoint until the end, on any replica, then nothing', () => {
    let now = 1_800_000_000_000;
    const clock = () => now;
    const r = route({ ...cookie, absoluteTimeoutSeconds: 60 });
    const issuing = new AffinityCodec(KEY, { graceMs: 0, now: clock });
    const other = new AffinityCodec(KEY, { graceMs: 0, now: clock });
    const v = issuing.valueFor(r, e1);
    assert.match(v, /^v2\.[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{16}$/);
    now += 59_000;
    assert.equal(other.endpointFor(r, v), e1);
    now += 1_000;
    assert.equal(other.endpointFor(r, v), undefined, 'ended after 60 s');
  });

  it('an ending value cannot be extended, stripped to v1, or used on a route without an end', () => {
    const now = 1_800_000_000_000;
    const r = route({ ...cookie, absoluteTimeoutSeconds: 60 });
    const codec = new AffinityCodec(KEY, { graceMs: 0, now: () => now });
    const v = codec.valueFor(r, e1);
    const [, tag, expiry, sig] = v.split('.');
    const later = (parseInt(expiry!, 36) + 3600).toString(36);
    assert.equal(codec.endpointFor(r, `v2.${tag}.${later}.${sig}`), undefined, 'a later end with the old signature');
    assert.equal(codec.endpointFor(r, `v1.${tag}`), undefined, 'the tag alone, as a value without an end');
    assert.equal(codec.endpointFor(r, `v2.${tag}.${expiry}.${sig}x`), undefined, 'a longer signature');
    assert.equal(codec.endpointFor(route(cookie), v), undefined, 'a route without an end takes only v1 values');
  });
});

describe('where the value travels', () => {
  const header: CompiledAffinity = { ...cookie, carrier: 'header', name: 'X-Session' };
  it('a cookie: read from Cookie, handed out with Set-Cookie', () => {
    assert.equal(affinityValue(cookie, { cookie: 'a=1; wsgate-affinity=v1.abc; b=2' }), 'v1.abc');
    assert.equal(affinityValue(cookie, { 'x-session': 'v1.abc' }), undefined);
    assert.deepEqual(affinityHeader({ ...cookie, maxAgeSeconds: 3600 }, 'v1.abc', true), { name: 'Set-Cookie', value: 'wsgate-affinity=v1.abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600; Secure' });
  });
  it('a header: read from the header (case-insensitively), handed out in the same header; no cookie involved', () => {
    assert.equal(affinityValue(header, { 'x-session': ' v1.abc ' }), 'v1.abc');
    assert.equal(affinityValue(header, { cookie: 'X-Session=v1.abc' }), undefined);
    assert.equal(affinityValue(header, { 'x-session': '' }), undefined);
    assert.deepEqual(affinityHeader(header, 'v1.abc', false), { name: 'X-Session', value: 'v1.abc' });
  });
});
