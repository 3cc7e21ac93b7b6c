// Route classes: which routes an install serves, by its --class and --default-class.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CLASS_NAME } from '../../src/api/defaults.js';
import { loadRouteSchema } from '../../src/api/crd.js';
import { CLASS_NAME_PATTERN, DEFAULT_CLASS_SELECTION, classNameProblem, partitionByClass, servesClass, type ClassSelection } from '../../src/api/route-class.js';

const route = (name: string, className?: string) => ({ metadata: { name }, spec: className === undefined ? {} : { className } });

describe('servesClass', () => {
  const cases: Array<{ name: string; className: string | undefined; sel: ClassSelection; served: boolean }> = [
    { name: 'own class', className: 'internal', sel: { className: 'internal', isDefault: false }, served: true },
    { name: 'another class', className: 'external', sel: { className: 'internal', isDefault: false }, served: false },
    { name: 'another class, even on the default install', className: 'external', sel: { className: 'internal', isDefault: true }, served: false },
    { name: 'no class on the default install', className: undefined, sel: { className: 'internal', isDefault: true }, served: true },
    { name: 'no class on a non-default install', className: undefined, sel: { className: 'internal', isDefault: false }, served: false },
    { name: 'the default class name is only a name: not default without the flag', className: undefined, sel: { className: DEFAULT_CLASS_NAME, isDefault: false }, served: false },
    { name: 'classes compare exactly', className: 'internal.example.com', sel: { className: 'internal', isDefault: true }, served: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(servesClass(c.className, c.sel), c.served));

  it('an install with no flags serves class wsgate and routes with no class (today\'s behaviour)', () => {
    assert.deepEqual(DEFAULT_CLASS_SELECTION, { className: 'wsgate', isDefault: true });
    assert.equal(servesClass(undefined, DEFAULT_CLASS_SELECTION), true);
    assert.equal(servesClass('wsgate', DEFAULT_CLASS_SELECTION), true);
    assert.equal(servesClass('internal', DEFAULT_CLASS_SELECTION), false);
  });
});

describe('partitionByClass', () => {
  it('splits routes into ours and others, keeping their order', () => {
    const routes = [route('a', 'internal'), route('b'), route('c', 'external'), route('d', 'internal')];
    const internal = partitionByClass(routes, { className: 'internal', isDefault: false });
    assert.deepEqual(internal.ours.map((r) => r.metadata.name), ['a', 'd']);
    assert.deepEqual(internal.others.map((r) => r.metadata.name), ['b', 'c']);
    const external = partitionByClass(routes, { className: 'external', isDefault: true });
    assert.deepEqual(external.ours.map((r) => r.metadata.name), ['b', 'c']);
    assert.deepEqual(external.others.map((r) => r.metadata.name), ['a', 'd']);
  });
});

describe('classNameProblem (the --class flag)', () => {
  for (const ok of ['wsgate', 'internal', 'team-a.example.com', 'a']) it(`accepts ${ok}`, () => assert.equal(classNameProblem(ok), undefined));
  for (const bad of ['', 'Internal', 'team_a', '-a', 'a.', 'x'.repeat(254)]) {
    it(`refuses ${JSON.stringify(bad.slice(0, 12))}`, () => assert.ok(classNameProblem(bad)));
  }
});

describe('the --class rule and the CRD', () => {
  it('accept the same names: the flag checks the pattern and bounds of spec.className', () => {
    const field = loadRouteSchema().properties!.spec!.properties!.className!;
    assert.equal(field.pattern, CLASS_NAME_PATTERN.source);
    assert.equal(field.minLength, 1);
    assert.equal(field.maxLength, 253);
  });
});
