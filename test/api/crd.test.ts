import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { crdPath, loadCrd, loadRouteSchema } from '../../src/api/crd.js';

describe('crd loading', () => {
  it('finds the CRD file from the build output', () => {
    assert.ok(existsSync(crdPath()));
    assert.match(crdPath(), /crds[/\\]wsgate\.io_websocketroutes\.yaml$/);
  });

  it('returns the whole object schema of v1alpha1', () => {
    const schema = loadRouteSchema();
    assert.equal(schema.type, 'object');
    assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  });

  it('parses once and hands out a frozen copy', () => {
    assert.equal(loadCrd(), loadCrd());
    assert.equal(loadRouteSchema(), loadRouteSchema());
    assert.ok(Object.isFrozen(loadRouteSchema().properties?.spec));
    assert.throws(() => {
      (loadRouteSchema() as { type?: string }).type = 'string';
    }, TypeError);
  });

  it('declares the resource the design names', () => {
    const crd = loadCrd();
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(crd.metadata.name, 'websocketroutes.wsgate.io');
    assert.equal(crd.spec.group, 'wsgate.io');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names, {
      kind: 'WebSocketRoute',
      listKind: 'WebSocketRouteList',
      plural: 'websocketroutes',
      singular: 'websocketroute',
      shortNames: ['wsr'],
      categories: ['wsgate'],
    });
    const [version] = crd.spec.versions;
    assert.equal(crd.spec.versions.length, 1);
    assert.equal(version?.name, 'v1alpha1');
    assert.equal(version?.served, true);
    assert.equal(version?.storage, true);
    assert.deepEqual(version?.subresources, { status: {} });
    assert.deepEqual(
      version?.additionalPrinterColumns?.map((c) => [c.name, c.jsonPath]),
      [
        ['Class', '.spec.className'],
        ['Hosts', '.spec.hosts'],
        ['Path', '.spec.match.path'],
        ['Backend', '.spec.backend.service.name'],
        ['Ready', '.status.backends.ready'],
        ['Accepted', '.status.conditions[?(@.type=="Accepted")].status'],
        ['Age', '.metadata.creationTimestamp'],
      ],
    );
  });
});

describe('crd schema is structural and bounded', () => {
  type Node = import('../../src/api/crd.js').CrdSchema;
  const nodes: Array<[string, Node]> = [];
  const visit = (s: Node, path: string) => {
    nodes.push([path, s]);
    for (const [name, child] of Object.entries(s.properties ?? {})) visit(child, `${path}.${name}`);
    if (s.items) visit(s.items, `${path}[]`);
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${path}.*`);
  };
  visit(loadRouteSchema(), '');

  it('every node has a type (or is int-or-string)', () => {
    assert.deepEqual(nodes.filter(([, s]) => !s.type && !s['x-kubernetes-int-or-string']).map(([p]) => p), []);
  });

  // The apiserver estimates CEL cost from these bounds; unbounded values also invite abuse.
  it('every spec string, list and map is bounded', () => {
    const unbounded = nodes
      .filter(([p]) => p.startsWith('.spec'))
      .filter(([, s]) =>
        (s.type === 'string' && s.maxLength === undefined && !s.enum) ||
        (s.type === 'array' && s.maxItems === undefined) ||
        (s.type === 'object' && s.additionalProperties !== undefined && s.maxProperties === undefined),
      )
      .map(([p]) => p);
    assert.deepEqual(unbounded, []);
  });

  it('list-map keys are required fields of the items', () => {
    for (const [path, s] of nodes) {
      if (s['x-kubernetes-list-type'] !== 'map') continue;
      for (const key of s['x-kubernetes-list-map-keys'] ?? []) {
        assert.ok(s.items?.required?.includes(key), `${path}: map key ${key} must be required`);
      }
    }
  });

  it('defaults are valid enum members', () => {
    for (const [path, s] of nodes) {
      if (s.default !== undefined && s.enum) assert.ok(s.enum.includes(s.default), path);
    }
  });
});
