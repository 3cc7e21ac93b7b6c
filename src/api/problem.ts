// One finding about a route document. `field` is a path such as `spec.match.path` or
// `spec.backend.endpoints[1].port` (see field-path.ts), so a file reader can map it to a line.

export interface Problem {
  field: string;
  reason: string;
}

/** Field used for problems about the document as a whole (it is not a mapping at all). */
export const ROOT_FIELD = '(root)';
