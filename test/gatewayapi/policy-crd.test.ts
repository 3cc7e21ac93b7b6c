// crds/wsgate.io_websocketpolicies.yaml is generated from the WebSocketRoute CRD: the file is
// exactly what the generator renders today, its WebSocket behaviour schemas are the
// WebSocketRoute's own, and the chart ships the same bytes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CLASS_FIELD, POLICY_CRD_FILE, SHARED_SPEC_FIELDS, SHARED_SPEC_RULE_PREFIXES, renderPolicyCrd } from '../../src/gatewayapi/policy-crd.js';
import { repoRoot } from '../helpers/wsgate-child.js';

const read = (p: string) => fs.readFileSync(path.join(repoRoot, p), 'utf8');
const wsrText = read('crds/wsgate.io_websocketroutes.yaml');
const policyText = read(`crds/${POLICY_CRD_FILE}`);
// Parsed CRD documents, read field by field.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const schema = (text: string): Json => parse(text).spec.versions[0].schema.openAPIV3Schema;
const FIX = '`make build && node_modules/.bin/node dist/e2e/gateway/gen-policy-crd.js`';

describe('WebSocketPolicy CRD', () => {
  it('is exactly what src/gatewayapi/policy-crd.ts renders from the WebSocketRoute CRD', () => {
    assert.ok(renderPolicyCrd(wsrText) === policyText, `crds/${POLICY_CRD_FILE} is stale: run ${FIX}`);
  });

  it('carries the WebSocketRoute spec sub-schemas verbatim, and the rules about them', () => {
    const wsr = schema(wsrText).properties.spec;
    const pol = schema(policyText).properties.spec;
    for (const f of SHARED_SPEC_FIELDS) assert.deepEqual(pol.properties[f], wsr.properties[f], `spec.${f}`);
    assert.deepEqual(Object.keys(pol.properties).sort(), ['targetRefs', CLASS_FIELD, ...SHARED_SPEC_FIELDS].sort());
    // The class accepts the same names as a WebSocketRoute's; only the description is the policy's.
    const { description: polDescription, ...polClass } = pol.properties[CLASS_FIELD];
    const { description: wsrDescription, ...wsrClass } = wsr.properties[CLASS_FIELD];
    assert.deepEqual(polClass, wsrClass);
    assert.match(polDescription, /policy/);
    assert.notEqual(polDescription, wsrDescription);
    const rules = (s: Json) => (s['x-kubernetes-validations'] as Array<{ message: string }>).filter((r) => SHARED_SPEC_RULE_PREFIXES.some((p) => r.message.startsWith(p)));
    assert.equal(rules(pol).length, SHARED_SPEC_RULE_PREFIXES.length);
    assert.deepEqual(rules(pol), rules(wsr));
    assert.deepEqual(schema(policyText).properties.status.properties.ancestors.items.properties.conditions, schema(wsrText).properties.status.properties.conditions);
  });

  it('is a GEP-713 Direct policy with targetRefs (group, kind, name, optional sectionName) and status.ancestors', () => {
    const crd = parse(policyText);
    assert.equal(crd.metadata.labels['gateway.networking.k8s.io/policy'], 'Direct');
    assert.equal(crd.spec.group, 'wsgate.io');
    assert.equal(crd.spec.names.kind, 'WebSocketPolicy');
    const s = schema(policyText);
    const ref = s.properties.spec.properties.targetRefs.items;
    assert.deepEqual(ref.required, ['group', 'kind', 'name']);
    assert.deepEqual(Object.keys(ref.properties), ['group', 'kind', 'name', 'sectionName']);
    const ancestor = s.properties.status.properties.ancestors.items;
    assert.deepEqual(ancestor.required, ['ancestorRef', 'controllerName', 'conditions']);
    assert.deepEqual(Object.keys(ancestor.properties.ancestorRef.properties), ['group', 'kind', 'namespace', 'name', 'sectionName', 'port']);
  });

  it('the chart ships the same bytes', () => {
    assert.ok(read(`charts/wsgate/crds/${POLICY_CRD_FILE}`) === policyText, `charts/wsgate/crds/${POLICY_CRD_FILE} differs: run ${FIX}`);
  });
});
