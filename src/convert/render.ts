// The YAML printed on standard output: one document per route, each preceded by a comment
// naming where it came from, with comments above the fields that need explaining.

import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import type { ConvertedRoute } from './types.js';

export function renderRoutes(routes: ConvertedRoute[], header: string[]): string {
  const head = header.map((l) => `# ${l}\n`).join('');
  if (routes.length === 0) return head;
  const docs = routes.map((r) => {
    const doc = new Document(r.route);
    // On the contents, not the document: a document comment is followed by a blank line.
    if (doc.contents) doc.contents.commentBefore = ` ${r.origin}`;
    for (const [path, comment] of Object.entries(r.fieldComments)) commentField(doc, path.split('.'), comment);
    return doc.toString({ lineWidth: 0 });
  });
  return head + docs.join('---\n');
}

/** Puts `comment` above the key at `path`; a path that is not in the document is skipped. */
function commentField(doc: Document, path: string[], comment: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return;
  const pair = (parent as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${comment}`;
}
