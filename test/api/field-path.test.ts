import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFieldPath, joinFieldPath, parseFieldPath, type PathSegment } from '../../src/api/field-path.js';

describe('field paths', () => {
  const cases: Array<[PathSegment[], string]> = [
    [[], '(root)'],
    [['spec', 'match', 'path'], 'spec.match.path'],
    [['spec', 'backend', 'endpoints', 1, 'port'], 'spec.backend.endpoints[1].port'],
    [['spec', 'requestHeaders', 'set', 'X-Tenant'], 'spec.requestHeaders.set["X-Tenant"]'],
    [['spec', 'requestHeaders', 'set', 'a"b]c'], 'spec.requestHeaders.set["a\\"b]c"]'],
    [['spec', 'requestHeaders', 'set', '1'], 'spec.requestHeaders.set["1"]'],
    [['spec', 'hosts', 0], 'spec.hosts[0]'],
  ];
  for (const [segments, text] of cases) {
    it(`${text} round-trips`, () => {
      assert.equal(formatFieldPath(segments), text);
      assert.deepEqual(parseFieldPath(text), segments);
    });
  }

  it('reads garbage as the root', () => assert.deepEqual(parseFieldPath('spec..x['), []));

  it('joins a CEL fieldPath', () => {
    assert.deepEqual(joinFieldPath(['spec', 'loadBalancer'], '.hashOn'), ['spec', 'loadBalancer', 'hashOn']);
    assert.deepEqual(joinFieldPath(['spec'], '.backend.path'), ['spec', 'backend', 'path']);
    assert.deepEqual(joinFieldPath(['spec'], undefined), ['spec']);
  });
});
