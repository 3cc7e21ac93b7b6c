// Field paths name a place in a route document: `spec.backend.endpoints[1].port`. Keys that
// are not plain identifiers (header names in requestHeaders.set, say) are written as JSON
// strings in brackets, `spec.requestHeaders.set["X-Tenant"]`, so parsing back is unambiguous.

import { ROOT_FIELD } from './problem.js';

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatFieldPath(segments: readonly PathSegment[]): string {
  if (segments.length === 0) return ROOT_FIELD;
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Inverse of formatFieldPath; returns [] for the root or for text it cannot read. */
export function parseFieldPath(field: string): PathSegment[] {
  if (field === ROOT_FIELD) return [];
  const segments: PathSegment[] = [];
  const token = /\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let m: RegExpExecArray | null;
  while (token.lastIndex < field.length && (m = token.exec(field)) !== null) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(JSON.parse(m[3]!) as string);
  }
  return token.lastIndex === field.length ? segments : [];
}

/** Appends a CEL-style fieldPath (".hashOn", ".backend.path") to a base path. */
export function joinFieldPath(base: readonly PathSegment[], celFieldPath: string | undefined): PathSegment[] {
  if (!celFieldPath) return [...base];
  return [...base, ...parseFieldPath(celFieldPath.replace(/^\./, ''))];
}
