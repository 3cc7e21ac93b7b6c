// A trie over path-template segments for one host group. Routes are stored by their index in
// the table's precedence order, so "the best route" is simply the smallest matching index: the
// search can return the winner without sorting, and can skip any subtree whose smallest index
// cannot beat the best found so far. Matching follows matchTemplate (template.ts) exactly:
// literal and `{name}` segments take one non-empty segment, a trailing catch-all takes zero or
// more, and a template without a catch-all also matches the path with one trailing slash
// (unless it is an HTTPRoute Exact path: ParsedTemplate.exact).

import { conditionsMatch } from './match-conditions.js';
import type { TemplateSegment } from './template.js';
import type { CompiledRoute, RouteRequest } from './types.js';

interface TrieNode {
  literals: Map<string, TrieNode> | undefined;
  param: TrieNode | undefined;
  /** Templates that end at this node (no catch-all), ascending index. */
  readonly ends: number[];
  /** Templates whose catch-all starts at this node, ascending index. */
  readonly rests: number[];
  /** Smallest index anywhere below (and at) this node: the pruning bound. */
  min: number;
}

function node(): TrieNode {
  return { literals: undefined, param: undefined, ends: [], rests: [], min: Infinity };
}

/** Built once per table and never changed after: old tables stay valid for whoever holds them. */
export class PathTrie {
  private readonly root = node();

  /** Indices must be added in ascending order, so every list stays sorted by precedence. */
  add(segments: readonly TemplateSegment[], index: number): void {
    let at = this.root;
    at.min = Math.min(at.min, index);
    for (const seg of segments) {
      if (seg.kind === 'rest') {
        at.rests.push(index);
        return;
      }
      let next: TrieNode | undefined;
      if (seg.kind === 'literal') {
        at.literals ??= new Map();
        next = at.literals.get(seg.value);
        if (!next) at.literals.set(seg.value, (next = node()));
      } else {
        next = at.param ??= node();
      }
      next.min = Math.min(next.min, index);
      at = next;
    }
    at.ends.push(index);
  }

  /**
   * The smallest index whose template matches `req.path` and whose conditions `req` meets
   * (`routes` are the table's, by index), or -1. Routes that match the path but not their conditions are passed
   * over, so the next one in precedence order wins, as a linear scan would.
   */
  best(routes: readonly CompiledRoute[], req: RouteRequest): number {
    const found = search(this.root, req.path, 1, routes, req, Infinity);
    return found === Infinity ? -1 : found;
  }
}

// The path is read by offsets, without splitting it. `pos` is where the current segment starts
// (after the leading slash, as matchTemplate's split). In matchTemplate's terms: `pos` past the
// end is "all segments consumed"; `pos` at the end is "one empty segment left", a trailing
// slash. Plain functions with the routes and request passed along: no closure per lookup.
function search(at: TrieNode, path: string, pos: number, routes: readonly CompiledRoute[], req: RouteRequest, best: number): number {
  if (at.min >= best) return best;
  if (at.rests.length > 0) best = firstAccepted(at.rests, routes, req, best);
  const len = path.length;
  if (at.ends.length > 0 && pos >= len) best = firstEnd(at.ends, routes, req, best, pos === len);
  if (pos < len) {
    let end = path.indexOf('/', pos);
    if (end === -1) end = len;
    // An empty segment ("//") matches neither a literal nor a {name}.
    if (end > pos) {
      const lit = at.literals?.get(path.slice(pos, end));
      if (lit) best = search(lit, path, end + 1, routes, req, best);
      if (at.param) best = search(at.param, path, end + 1, routes, req, best);
    }
  }
  return best;
}

/** Like firstAccepted, for templates ending here; `slash`: the path has one trailing slash left. */
function firstEnd(list: readonly number[], routes: readonly CompiledRoute[], req: RouteRequest, best: number, slash: boolean): number {
  for (let k = 0; k < list.length; k++) {
    const index = list[k]!;
    if (index >= best) break;
    const route = routes[index]!;
    const exact = route.path.exact;
    if (exact !== undefined && (exact === 'slash') !== slash) continue;
    if (conditionsMatch(route, req)) return index;
  }
  return best;
}

function firstAccepted(list: readonly number[], routes: readonly CompiledRoute[], req: RouteRequest, best: number): number {
  for (let k = 0; k < list.length; k++) {
    const index = list[k]!;
    if (index >= best) break;
    if (conditionsMatch(routes[index]!, req)) return index;
  }
  return best;
}
