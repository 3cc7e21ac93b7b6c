// Reads a multi-document YAML file of WebSocketRoutes (standalone mode, `wsgate validate`)
// and reports every problem with the line it is on, so `file:line` takes an editor there.

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { loadRouteSchema } from './crd.js';
import { parseFieldPath, type PathSegment } from './field-path.js';
import { pruneNulls } from './prune-nulls.js';
import { KIND, type WebSocketRoute } from './types.js';
import { validateRoute } from './validate.js';

export interface FileProblem {
  file: string;
  /** 1-based position of the document in the file, counting empty ones. */
  document: number;
  /** 1-based. */
  line: number;
  field: string;
  reason: string;
}

/** Field of problems in the YAML text itself, before there is a document to validate. */
const YAML_FIELD = '(yaml)';

export function formatProblem(p: FileProblem): string {
  return `${p.file}:${p.line}: document ${p.document}: ${p.field}: ${p.reason}`;
}

export function parseRouteFile(text: string, file: string): { routes: WebSocketRoute[]; problems: FileProblem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const routes: WebSocketRoute[] = [];
  const problems: FileProblem[] = [];
  const firstSeen = new Map<string, number>();

  docs.forEach((doc, i) => {
    const document = i + 1;
    const lineAt = (offset: number) => lineCounter.linePos(offset).line;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ file, document, line: lineAt(e.pos[0]), field: YAML_FIELD, reason: e.message });
      return;
    }
    if (isEmpty(doc)) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      // Only alias bombs get here: the document parsed, but expanding it is refused.
      problems.push({ file, document, line: lineAt(doc.range[0]), field: YAML_FIELD, reason: (err as Error).message });
      return;
    }
    const found = validateRoute(value).map((p) => ({
      file,
      document,
      line: lineOf(doc, parseFieldPath(p.field), lineAt),
      field: p.field,
      reason: p.reason,
    }));
    const route = pruneNulls(value, loadRouteSchema()) as WebSocketRoute;
    const key = identity(route);
    if (key !== undefined) {
      const first = firstSeen.get(key);
      if (first === undefined) firstSeen.set(key, document);
      else {
        const field = 'metadata.name';
        const line = lineOf(doc, parseFieldPath(field), lineAt);
        found.push({ file, document, line, field, reason: `duplicates route ${key} from document ${first}` });
      }
    }
    if (found.length > 0) {
      problems.push(...found.sort((a, b) => a.line - b.line));
      return;
    }
    route.metadata.namespace ??= 'default';
    routes.push(route);
  });
  return { routes, problems };
}

function isEmpty(doc: Document.Parsed): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}

/** "namespace/name" of a document that is a route with a name, else undefined. */
function identity(doc: unknown): string | undefined {
  if (doc === null || typeof doc !== 'object') return undefined;
  const { kind, metadata } = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (kind !== KIND || typeof metadata?.name !== 'string') return undefined;
  const ns = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  return `${ns}/${metadata.name}`;
}

/**
 * Line of the node at `path`: the line of its key for a mapping entry, of the item for a list
 * entry. A path that leaves the document (a missing required field) stops at the nearest
 * ancestor that exists, which is where the field should be added.
 */
function lineOf(doc: Document.Parsed, path: PathSegment[], lineAt: (offset: number) => number): number {
  let node: unknown = doc.contents;
  let line = lineAt(startOf(node) ?? doc.range[0]);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let anchor: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      next = pair?.value;
      anchor = pair?.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = anchor = node.items[seg];
    }
    const start = startOf(anchor);
    if (start === undefined) break;
    line = lineAt(start);
    node = next;
  }
  return line;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function startOf(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
