import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseByteSize, QuantityError } from '../../src/api/quantity.js';

describe('parseByteSize', () => {
  const cases: Array<[number | string, number]> = [
    [65536, 65536],
    ['65536', 65536],
    ['1Ki', 1024],
    ['1Mi', 1048576],
    ['16Mi', 16 * 1048576],
    ['2Gi', 2 * 2 ** 30],
    ['1Ti', 2 ** 40],
    ['10k', 10_000],
    ['10M', 10_000_000],
    ['1G', 1e9],
    ['1T', 1e12],
  ];
  for (const [input, bytes] of cases) it(`${JSON.stringify(input)} is ${bytes} bytes`, () => assert.equal(parseByteSize(input), bytes));

  for (const bad of ['1Mb', '1.5Mi', '-1', ' 1', '1 Mi', '', 'Mi', '1e3', '9999999999999999Ti']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseByteSize(bad), QuantityError));
  }
  it('refuses a fractional or unsafe integer', () => {
    assert.throws(() => parseByteSize(1.5), QuantityError);
    assert.throws(() => parseByteSize(2 ** 53), QuantityError);
  });
});
