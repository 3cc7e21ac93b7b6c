import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { burstFor } from '../../src/limits/token-bucket.js';
import { Limiter } from '../../src/security/rate-limit.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('limiter', () => {
  it('token bucket: burst of max(1, ceil(rate)), refill at rate, Retry-After in whole seconds', () => {
    const c = clock();
    const l = new Limiter({ now: c.now, sweepIntervalMs: 0 });
    assert.equal(burstFor(0.5), 1);
    assert.equal(burstFor(2.5), 3);
    for (let i = 0; i < 3; i++) assert.deepEqual(l.takeToken('r', 'a', 2.5), { ok: true });
    assert.deepEqual(l.takeToken('r', 'a', 2.5), { ok: false, retryAfterSeconds: 1 });
    // Another client and another route have their own buckets.
    assert.deepEqual(l.takeToken('r', 'b', 2.5), { ok: true });
    assert.deepEqual(l.takeToken('r2', 'a', 2.5), { ok: true });
    c.advance(400);
    assert.deepEqual(l.takeToken('r', 'a', 2.5), { ok: true });
    assert.equal(l.takeToken('r', 'a', 2.5).ok, false);
    const slow = l.takeToken('s', 'a', 0.2);
    assert.deepEqual(slow, { ok: true });
    assert.deepEqual(l.takeToken('s', 'a', 0.2), { ok: false, retryAfterSeconds: 5 });
  });

  it('counts connections per route and per client, released once', () => {
    const l = new Limiter({ sweepIntervalMs: 0 });
    const limits = { maxConnections: 3, maxConnectionsPerClient: 2 };
    const a1 = l.acquire('r', 'a', limits);
    const a2 = l.acquire('r', 'a', limits);
    assert.ok(a1.ok && a2.ok);
    assert.deepEqual(l.acquire('r', 'a', limits), { ok: false, limit: 'client' });
    const b1 = l.acquire('r', 'b', limits);
    assert.ok(b1.ok);
    assert.deepEqual(l.acquire('r', 'c', limits), { ok: false, limit: 'route' });
    assert.equal(l.routeConnections('r'), 3);
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    assert.equal(l.routeConnections('r'), 2);
    assert.ok(l.acquire('r', 'a', limits).ok);
  });

  it('forgets idle clients and stays bounded', () => {
    const c = clock();
    const l = new Limiter({ now: c.now, maxClients: 100, sweepIntervalMs: 0 });
    for (let i = 0; i < 1000; i++) l.takeToken('r', `10.0.${i >> 8}.${i & 255}`, 1);
    assert.ok(l.clientEntries <= 100, String(l.clientEntries));
    const held = l.acquire('r', 'keeper', {});
    c.advance(5000);
    l.sweep();
    assert.equal(l.clientEntries, 1, 'only the client holding a connection is left');
    if (held.ok) held.release();
    assert.equal(l.clientEntries, 0);
  });
});
