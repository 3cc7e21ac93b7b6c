// Every field the translator reads (READ_FIELDS in src/gatewayapi/types.ts) exists in the
// vendored CRD schemas: a field renamed or dropped upstream fails here, not as undefined at
// run time.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { READ_FIELDS } from '../../src/gatewayapi/types.js';
import { repoRoot } from '../helpers/wsgate-child.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function lookup(root: Json, field: string): Json {
  let s = root;
  for (const part of field.split('.')) {
    const list = part.endsWith('[]');
    const name = list ? part.slice(0, -2) : part;
    s = s?.properties?.[name];
    if (s && list) s = s.items;
    if (!s) return undefined;
  }
  return s;
}

describe('fields the Gateway API translator reads exist in the vendored schemas', () => {
  for (const [file, { version, fields }] of Object.entries(READ_FIELDS)) {
    it(`${file} ${version}: ${fields.length} fields`, () => {
      const docs = parseAllDocuments(fs.readFileSync(path.join(repoRoot, 'crds', file), 'utf8')).map((d) => d.toJSON() as Json);
      const crd = docs.find((d) => d?.kind === 'CustomResourceDefinition');
      const v = crd.spec.versions.find((x: Json) => x.name === version);
      assert.ok(v?.served, `${file} serves ${version}`);
      const missing = fields.filter((f) => lookup(v.schema.openAPIV3Schema, f) === undefined);
      assert.deepEqual(missing, [], `fields not in ${file} ${version}`);
    });
  }

  it('the vendored CRDs are the standard channel of one release', () => {
    const dir = path.join(repoRoot, 'crds/gateway-api');
    const versions = new Set<string>();
    for (const f of fs.readdirSync(dir)) {
      for (const d of parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) {
        const o = d.toJSON() as Json;
        if (!o) continue;
        assert.equal(o.metadata.annotations['gateway.networking.k8s.io/channel'], 'standard', `${f} ${o.metadata.name}`);
        versions.add(o.metadata.annotations['gateway.networking.k8s.io/bundle-version']);
      }
    }
    assert.deepEqual([...versions], ['v1.6.3']);
    for (const kind of ['gatewayclasses', 'gateways', 'httproutes', 'referencegrants']) {
      assert.ok(fs.existsSync(path.join(dir, `gateway.networking.k8s.io_${kind}.yaml`)), kind);
    }
  });
});
