import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CEL_RULES } from '../../src/api/cel-rules.js';
import { loadRouteSchema, type CrdSchema } from '../../src/api/crd.js';

/** Every x-kubernetes-validations entry of the CRD with the schema path of its node. */
function crdRules(): Array<Record<string, string | undefined>> {
  const out: Array<Record<string, string | undefined>> = [];
  const visit = (s: CrdSchema, path: string) => {
    for (const v of s['x-kubernetes-validations'] ?? []) {
      out.push({ path, rule: v.rule, message: v.message, fieldPath: v.fieldPath, reason: v.reason });
    }
    for (const [name, child] of Object.entries(s.properties ?? {})) visit(child, path ? `${path}.${name}` : name);
    if (s.items) visit(s.items, `${path}[]`);
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${path}.*`);
  };
  visit(loadRouteSchema(), '');
  return out;
}

describe('CEL rules', () => {
  it('the TypeScript mirror has exactly the CRD rules, messages, fieldPaths and reasons', () => {
    const mirror = CEL_RULES.map(({ path, rule, message, fieldPath, reason }) => ({ path, rule, message, fieldPath, reason }));
    assert.deepEqual(mirror, crdRules());
  });

  it('every rule has a message that reads as one sentence', () => {
    for (const r of CEL_RULES) assert.match(r.message, /^[^\n]{10,200}$/);
  });

  it('every rule is exercised by a failing case in route-cases.ts', async () => {
    const { INVALID, applyCase } = await import('./route-cases.js');
    const { checkCelRules } = await import('../../src/api/cel-rules.js');
    const fired = new Set<string>();
    for (const c of INVALID.filter((x) => x.layer === 'cel')) {
      for (const p of checkCelRules(applyCase(c))) fired.add(p.reason);
    }
    assert.deepEqual(CEL_RULES.map((r) => r.message).filter((m) => !fired.has(m)), []);
  });
});
