// The one-way data flow as a rule on imports: each directory of src/ may import only the ones
// listed for it, and the directories form no cycle. Type-only imports count too: a cycle of
// types is still two modules that cannot be understood apart.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers/wsgate-process.js';

const SRC = path.join(repoRoot, 'src');

/** Directory -> the directories it may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  api: ['routing/template'],
  // The rest of routing is above api; only the template parser (a leaf) is used by it.
  security: ['api'],
  routing: ['api', 'security', 'gatewayapi'],
  balancer: ['api', 'routing'],
  pipeline: ['api', 'routing'],
  proxy: ['api', 'routing', 'balancer', 'pipeline', 'overload', 'net/proxy-protocol'],
  admission: ['api', 'routing', 'pipeline', 'security'],
  metrics: ['api', 'routing', 'pipeline', 'proxy'],
  // Pure: Gateway API objects in, route entries and statuses out.
  gatewayapi: ['api'],
  // The data plane of a thread and the worker threads of --workers; the control plane is above.
  workers: ['api', 'routing', 'security', 'balancer', 'pipeline', 'proxy', 'admission', 'metrics', 'overload'],
  // Process counters, memory readings, the overload manager and the sizing rule: below the data plane.
  overload: [],
  // Split mode's snapshot stream: carries the workers' snapshot between processes; no data plane.
  stream: ['api', 'routing', 'security', 'workers', 'net/listen'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Modules without imports of their own: an edge to one can close no cycle, so they stand alone. */
const LEAVES = new Set(['routing/template', 'net/listen', 'net/proxy-protocol']);

/** "src/proxy/server.ts" -> "proxy"; the entry point cli.ts belongs to cli; other top-level files are "(root)". */
function area(file: string): string {
  const rel = path.relative(SRC, file).replace(/\.(ts|js)$/, '');
  if (LEAVES.has(rel)) return rel;
  const parts = rel.split(path.sep);
  if (parts.length === 1) return parts[0] === 'cli' ? 'cli' : '(root)';
  return parts[0]!;
}

function imports(): Array<{ from: string; to: string; file: string; target: string }> {
  const out: Array<{ from: string; to: string; file: string; target: string }> = [];
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/gms)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      out.push({ from: area(file), to: area(target), file: path.relative(repoRoot, file), target: path.relative(SRC, target) });
    }
  }
  return out;
}

describe('architecture', () => {
  it('each layer imports only the layers below it', () => {
    const bad = imports()
      .filter(({ from, to, target }) => {
        const allowed = ALLOWED[from];
        if (!allowed || from === to) return false;
        // A leaf module counts as part of its directory.
        const dir = to.split('/')[0]!;
        return !(allowed.includes(to) || dir === from || allowed.includes(dir));
      })
      .map(({ file, target }) => `${file} imports ${target}`);
    assert.deepEqual(bad, []);
  });

  it('the leaf modules import nothing', () => {
    for (const leaf of LEAVES) {
      const text = fs.readFileSync(path.join(SRC, `${leaf}.ts`), 'utf8');
      assert.doesNotMatch(text, /^import .* from '\./m, leaf);
    }
  });

  it('the directories of src form no import cycle', () => {
    const graph = new Map<string, Set<string>>();
    for (const { from, to } of imports()) {
      if (from === to) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]) => {
      if (trail.includes(node)) {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' -> '));
        return;
      }
      for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    };
    for (const node of graph.keys()) visit(node, []);
    assert.deepEqual([...new Set(cycles)], []);
  });
});
