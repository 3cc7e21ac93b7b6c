// A trie over path-template segments for one host group. Routes are stored by their index in
// the table's precedence order, so "the best route" is simply the smallest matching index: the
// search can return the winner without sorting, and can skip any subtree whose smallest index
// cannot beat the best found so far. Matching follows matchTemplate (template.ts) exactly:
// literal and `{name}` segments take one non-empty segment, a trailing catch-all takes zero or
// more, and a template without a catch-all also matches the path with one trailing slash.

import type { TemplateSegment } from './template.js';

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
   * The smallest index whose template matches `parts` (the path split on "/" after the leading
   * slash, as matchTemplate splits it) and that `accept` takes (its header and subprotocol
   * conditions), or -1. Routes that match the path but not their conditions are passed over, so
   * the next one in precedence order wins, as a linear scan would.
   */
  best(parts: readonly string[], accept: (index: number) => boolean): number {
    const found = search(this.root, parts, 0, accept, Infinity);
    return found === Infinity ? -1 : found;
  }
}

function search(at: TrieNode, parts: readonly string[], i: number, accept: (index: number) => boolean, best: number): number {
  if (at.min >= best) return best;
  best = firstAccepted(at.rests, accept, best);
  const n = parts.length;
  // All segments consumed, or only a trailing slash left.
  if (i === n || (i === n - 1 && parts[i] === '')) best = firstAccepted(at.ends, accept, best);
  if (i < n) {
    const part = parts[i]!;
    if (part !== '') {
      const lit = at.literals?.get(part);
      if (lit) best = search(lit, parts, i + 1, accept, best);
      if (at.param) best = search(at.param, parts, i + 1, accept, best);
    }
  }
  return best;
}

function firstAccepted(list: readonly number[], accept: (index: number) => boolean, best: number): number {
  for (const index of list) {
    if (index >= best) break;
    if (accept(index)) return index;
  }
  return best;
}
