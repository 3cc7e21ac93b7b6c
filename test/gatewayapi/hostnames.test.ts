import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostMatches } from '../../src/api/hostnames.js';
import { intersectHostnames } from '../../src/gatewayapi/hostnames.js';

// The examples of the HTTPRoute `hostnames` documentation (and the conformance suite's
// httproute-hostname-intersection cases): listener hostname x route hostnames -> served names.
const CASES: Array<[listener: string | undefined, route: string[] | undefined, want: string[] | undefined]> = [
  [undefined, undefined, []],
  [undefined, [], []],
  [undefined, ['a.example.com', '*.example.net'], ['*.example.net', 'a.example.com']],
  ['test.example.com', undefined, ['test.example.com']],
  ['test.example.com', ['test.example.com'], ['test.example.com']],
  ['test.example.com', ['*.example.com'], ['test.example.com']],
  ['test.example.com', ['other.example.com'], undefined],
  ['test.example.com', ['example.com'], undefined],
  ['*.example.com', ['*.example.com'], ['*.example.com']],
  ['*.example.com', ['test.example.com'], ['test.example.com']],
  ['*.example.com', ['foo.test.example.com'], ['foo.test.example.com']],
  ['*.example.com', ['*.foo.example.com'], ['*.foo.example.com']],
  ['*.foo.example.com', ['*.example.com'], ['*.foo.example.com']],
  ['*.example.com', ['example.com'], undefined],
  ['*.example.com', ['test.example.net'], undefined],
  // Non-matching route names are ignored, matching ones kept.
  ['*.example.com', ['test.example.com', 'test.example.net'], ['test.example.com']],
  ['very.specific.com', ['*.specific.com', 'other.com'], ['very.specific.com']],
  // Case does not matter (the API only admits lower case, the proxy lower-cases the Host).
  ['Test.Example.com', ['TEST.example.com'], ['test.example.com']],
];

describe('listener x route hostname intersection', () => {
  for (const [l, r, want] of CASES) {
    it(`${l ?? '(none)'} x ${JSON.stringify(r ?? null)} -> ${JSON.stringify(want ?? 'no match')}`, () => {
      assert.deepEqual(intersectHostnames(l, r), want);
    });
  }
});

describe('hostMatches (a served name against a request Host)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a.example.com', 'a.example.com', true],
    ['a.example.com', 'b.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'xexample.com', false],
  ];
  for (const [name, host, want] of cases) it(`${name} ~ ${host}: ${want}`, () => assert.equal(hostMatches(name, host), want));
});
