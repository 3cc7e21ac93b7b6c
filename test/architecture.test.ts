// The one-way data flow as a rule on imports: each directory of src/ may import only the ones
// listed for it, the directories form no cycle, and neither do the files. Type-only imports and
// re-exports count too: a cycle of types is still two modules that cannot be understood apart.
// A type two modules share lives in the module that owns the concept (routing/types.ts holds
// the model the processors depend on, as Contour's dag.go does).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers/wsgate-child.js';

const SRC = path.join(repoRoot, 'src');

/** Directory -> the directories it may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  api: ['routing/template'],
  // The rest of routing is above api; only the template parser (a leaf) is used by it.
  security: ['api', 'limits', 'net/ip-bits'],
  // The one token bucket (its arithmetic over state the caller stores).
  limits: ['api'],
  routing: ['api', 'security', 'gatewayapi'],
  balancer: ['api', 'routing'],
  pipeline: ['api', 'routing'],
  proxy: ['api', 'routing', 'balancer', 'pipeline', 'overload', 'limits', 'net/proxy-protocol'],
  admission: ['api', 'routing', 'pipeline', 'security'],
  metrics: ['api', 'routing', 'pipeline', 'proxy'],
  // Pure: Gateway API objects in, route entries and statuses out.
  gatewayapi: ['api'],
  // The data plane of a thread and the worker threads of --workers; the control plane is above.
  workers: ['api', 'routing', 'security', 'balancer', 'pipeline', 'proxy', 'admission', 'metrics', 'overload', 'limits', 'log/destination'],
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
const LEAVES = new Set(['routing/template', 'net/listen', 'net/proxy-protocol', 'net/ip-bits', 'log/destination']);

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

/** Every import of a file in src/ (static, re-export or dynamic `import()`), as src-relative paths without extension. */
function fileImports(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const id = (p: string) => path.relative(SRC, p).replace(/\.(ts|js)$/, '');
  for (const file of sourceFiles(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/gms)) {
      targets.add(id(path.resolve(path.dirname(file), (m[1] ?? m[2])!)));
    }
    graph.set(id(file), targets);
  }
  return graph;
}

/**
 * The import cycles of a graph: its strongly connected components of more than one node, or of
 * one node that imports itself (Tarjan), each sorted, for a message that names every member.
 */
function cyclesOf(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || graph.get(v)?.has(v)) out.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
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

  it('the files of src form no import cycle, types included', () => {
    assert.deepEqual(cyclesOf(fileImports()).map((c) => c.join(' <-> ')), []);
  });

  it('a file cycle is found, however long and whatever else imports into it', () => {
    const graph = new Map<string, Set<string>>([
      ['routing/compile', new Set(['routing/processor', 'routing/types'])],
      ['routing/processor', new Set(['routing/types', 'routing/compile'])],
      ['routing/table', new Set(['routing/index'])],
      ['routing/index', new Set(['routing/trie'])],
      ['routing/trie', new Set(['routing/table', 'routing/types'])],
      ['routing/types', new Set()],
      ['proxy/server', new Set(['routing/table', 'proxy/server'])],
    ]);
    assert.deepEqual(cyclesOf(graph).map((c) => c.join(' <-> ')).sort(), [
      'proxy/server',
      'routing/compile <-> routing/processor',
      'routing/index <-> routing/table <-> routing/trie',
    ]);
    assert.deepEqual(cyclesOf(new Map([['a', new Set(['b'])], ['b', new Set<string>()]])), []);
  });
});
