import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashRing } from '../../src/balancer/hash-ring.js';
import { makeEndpoint } from '../../src/routing/types.js';

const eps = (n: number) => Array.from({ length: n }, (_, i) => makeEndpoint(`10.0.0.${i + 1}`, 8080));

test('removing one of N endpoints moves only about 1/N of the keys, and only its own', () => {
  for (const n of [3, 5, 10]) {
    const before = new HashRing(eps(n));
    const removed = eps(n)[1]!;
    const after = new HashRing(eps(n).filter((e) => e.id !== removed.id));
    const keys = 20000;
    let moved = 0;
    for (let k = 0; k < keys; k++) {
      const key = `user-${k}`;
      const a = before.lookup(key)!;
      const b = after.lookup(key)!;
      if (a.id !== b.id) {
        moved++;
        assert.equal(a.id, removed.id, 'only keys of the removed endpoint move');
      }
    }
    const share = moved / keys;
    assert.ok(Math.abs(share - 1 / n) < 0.35 / n, `n=${n}: moved ${(share * 100).toFixed(1)}%, expected about ${(100 / n).toFixed(1)}%`);
  }
});

test('keys spread roughly evenly and lookups are stable', () => {
  const ring = new HashRing(eps(4));
  const counts = new Map<string, number>();
  for (let k = 0; k < 40000; k++) {
    const id = ring.lookup(`k${k}`)!.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const c of counts.values()) assert.ok(c > 7000 && c < 13000, `uneven: ${[...counts.values()]}`);
  assert.equal(ring.lookup('same')!.id, new HashRing(eps(4)).lookup('same')!.id);
});

test('skip walks on to the next endpoint on the ring', () => {
  const ring = new HashRing(eps(3));
  const first = ring.lookup('abc')!;
  const next = ring.lookup('abc', (e) => e.id === first.id)!;
  assert.notEqual(next.id, first.id);
  assert.equal(ring.lookup('abc', () => true), undefined);
});
