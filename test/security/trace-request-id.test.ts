import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestIdFor } from '../../src/security/request-id.js';
import { isValidTraceparent, newTraceparent, traceparentFor } from '../../src/security/trace.js';

describe('traceparent', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  it('passes a valid one through and starts a trace otherwise', () => {
    assert.deepEqual(traceparentFor(valid), { value: valid, started: false });
    for (const bad of [undefined, '', 'junk', [valid, valid], '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', `${valid}-extra`]) {
      const t = traceparentFor(bad as string);
      assert.equal(t.started, true, String(bad));
      assert.ok(isValidTraceparent(t.value));
      assert.notEqual(t.value, bad);
    }
  });
  it('accepts future versions with extra fields', () => {
    assert.ok(isValidTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'));
  });
  it('new traces are random and sampled', () => {
    const a = newTraceparent();
    assert.match(a, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.notEqual(a, newTraceparent());
    assert.ok(isValidTraceparent(newTraceparent((n) => Buffer.alloc(n))));
  });
});

describe('x-request-id', () => {
  it('keeps sane ids and replaces the rest', () => {
    assert.equal(requestIdFor('abc-123_XYZ.9:z'), 'abc-123_XYZ.9:z');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'a,b', ['a', 'b'], 'é']) {
      assert.match(requestIdFor(bad as string), /^[0-9a-f-]{36}$/, String(bad));
    }
  });
});
