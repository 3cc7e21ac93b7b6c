// Route names: DNS-1123 labels built from the source (ingress name, host, index), shortened
// with a hash when too long so that two long sources never shorten to the same name.

import { createHash } from 'node:crypto';
import type { ConvertedRoute } from './types.js';

/** A label is what shows in metrics and `kubectl get wsr`: keep it to 63 characters. */
const MAX_NAME = 63;
const HASH_CHARS = 8;

/** "Chat.Example.com" -> "chat-example-com"; "*.example.com" -> "wildcard-example-com". */
export function slug(s: string): string {
  return s
    .replace(/^\*\./, 'wildcard.')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Joins the non-empty slugs of `parts`; over MAX_NAME, a prefix plus a hash of the whole. */
export function routeName(parts: Array<string | number>): string {
  const full = parts.map((p) => slug(String(p))).filter(Boolean).join('-') || 'route';
  return shorten(full);
}

function shorten(name: string): string {
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_CHARS);
  const head = name.slice(0, MAX_NAME - HASH_CHARS - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** Renames later duplicates within a namespace to name-2, name-3 ... (in input order, so stable). */
export function makeNamesUnique(routes: ConvertedRoute[]): void {
  const taken = new Set<string>();
  for (const r of routes) {
    const ns = r.route.metadata.namespace ?? 'default';
    const base = r.route.metadata.name;
    let name = base;
    for (let n = 2; taken.has(`${ns}/${name}`); n++) {
      const suffix = `-${n}`;
      name = base.slice(0, MAX_NAME - suffix.length).replace(/-+$/, '') + suffix;
    }
    taken.add(`${ns}/${name}`);
    r.route.metadata.name = name;
  }
}
