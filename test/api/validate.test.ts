import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateRoute } from '../../src/api/validate.js';
import { INVALID, VALID, applyCase, baseRoute } from './route-cases.js';

describe('validateRoute accepts', () => {
  for (const c of VALID) {
    it(c.name, () => assert.deepEqual(validateRoute(applyCase(c)), []));
  }
});

describe('validateRoute refuses', () => {
  for (const c of INVALID) {
    it(`${c.layer}: ${c.name} -> ${c.field}`, () => {
      const problems = validateRoute(applyCase(c));
      const hit = problems.find((p) => p.field === c.field);
      assert.ok(hit, `expected a problem on ${c.field}, got ${JSON.stringify(problems)}`);
      if (c.reason) assert.ok(hit.reason.includes(c.reason), `reason "${hit.reason}" lacks "${c.reason}"`);
      // One mistake, one line: nothing else may be reported unless the case allows it.
      const allowed = new Set([c.field, ...(c.alsoFields ?? [])]);
      const extra = problems.filter((p) => !allowed.has(p.field));
      assert.deepEqual(extra, [], 'unexpected extra problems');
      // Reasons are single sentences a terminal line can hold.
      for (const p of problems) assert.ok(!p.reason.includes('\n') && p.reason.length > 0);
    });
  }
});

describe('validateRoute on odd input', () => {
  for (const value of [null, 'chat', 42, [baseRoute()]]) {
    it(`refuses ${JSON.stringify(value)?.slice(0, 20)} as a whole`, () => {
      assert.deepEqual(validateRoute(value).map((p) => p.field), ['(root)']);
    });
  }

  it('reports only the kind for another resource', () => {
    const problems = validateRoute({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: {} });
    assert.deepEqual(problems, [{ field: 'kind', reason: 'kind ConfigMap is not WebSocketRoute' }]);
  });

  it('reports several independent mistakes together', () => {
    const doc = baseRoute();
    doc.spec.backend.scheme = 'tcp';
    doc.spec.timeouts = { connect: 'soon' };
    doc.spec.loadBalancer = { policy: 'ConsistentHash' };
    assert.deepEqual(
      validateRoute(doc).map((p) => p.field).sort(),
      ['spec.backend.scheme', 'spec.loadBalancer.hashOn', 'spec.timeouts.connect'],
    );
  });

  it('does not change its input', () => {
    const doc = baseRoute();
    doc.spec.timeouts = null;
    const before = JSON.stringify(doc);
    validateRoute(doc);
    assert.equal(JSON.stringify(doc), before);
  });

  it('keeps a __proto__ key as an unknown field', () => {
    const doc = JSON.parse('{"apiVersion":"wsgate.io/v1alpha1","kind":"WebSocketRoute","metadata":{"name":"a"},"spec":{"match":{"path":"/"},"backend":{"endpoints":[{"host":"a","port":1}]},"__proto__":{"x":1}}}');
    assert.deepEqual(validateRoute(doc).map((p) => p.field), ['spec.__proto__']);
  });
});
