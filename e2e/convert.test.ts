// `wsgate convert` output against the real apiserver: every route converted from the golden
// inputs is accepted by `kubectl apply` (the CRD's schema and CEL rules, evaluated by the
// apiserver itself, not by wsgate's mirror of them).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, runCli } from '../test/helpers/wsgate-child.js';
import { GOLDEN_CASES, inputsDir } from '../test/convert/cases.js';
import { clusterAvailable, kubectl, kubectlOk, toYaml } from './helpers/cluster.js';

const ns = `e2e-convert-${process.pid}-${Date.now() % 100000}`;

describe('converted routes against a real kube-apiserver', { skip: !clusterAvailable() && 'run `make e2e-up` first' }, () => {
  before(async () => {
    await kubectlOk(['apply', '-f', path.join(repoRoot, 'crds')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/websocketroutes.wsgate.io']);
    await kubectlOk(['create', 'namespace', ns]);
  });

  after(async () => {
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  for (const c of GOLDEN_CASES) {
    test(`${c.name}: kubectl apply accepts every converted route`, async () => {
      const out = await runCli(['convert', ...c.files.map((f) => path.join(inputsDir, f))]);
      assert.equal(out.code, 0, out.stderr);
      // Into the test's own namespace (the inputs name several), keeping names unique there.
      const routes = parseAllDocuments(out.stdout)
        .map((d) => d.toJS() as { metadata: { name: string; namespace?: string } } | null)
        .filter((r): r is { metadata: { name: string; namespace?: string } } => r !== null)
        .map((r) => ({ ...r, metadata: { name: `${c.name}-${r.metadata.name}`.slice(0, 63).replace(/-+$/, ''), namespace: ns } }));
      assert.ok(routes.length > 0);
      assert.equal(new Set(routes.map((r) => r.metadata.name)).size, routes.length);
      const applied = await kubectl(['apply', '-f', '-'], toYaml(routes));
      assert.equal(applied.code, 0, applied.stderr);
      const names = (await kubectlOk(['get', 'wsr', '-n', ns, '-o', 'name'])).split('\n').filter(Boolean);
      for (const r of routes) assert.ok(names.includes(`websocketroute.wsgate.io/${r.metadata.name}`), r.metadata.name);
    });
  }
});
