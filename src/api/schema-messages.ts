// Turns ajv's errors into Problems with a field path and one plain sentence, the way a person
// reading a route file wants them: "spec.backend.scheme: must be one of ws, wss".

import type { ErrorObject } from 'ajv';
import { formatFieldPath, type PathSegment } from './field-path.js';
import type { Problem } from './problem.js';

const TOKEN = "must be an HTTP token: letters, digits and !#$%&'*+.^_`|~-";

/** A sentence for each pattern in the CRD; a test checks none is missing. */
export const PATTERN_HINTS: Record<string, string> = {
  '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$':
    "must be a lowercase DNS name, optionally starting with '*.'",
  '^/[^?#\\s]*$': "must start with '/' and contain no '?', '#' or whitespace",
  "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$": TOKEN,
  '^[^\\r\\n\\x00]*$': 'must not contain line breaks or NUL characters',
  '^/[^;\\s]*$': "must start with '/' and contain no ';' or whitespace",
  '^[a-z]([-a-z0-9]*[a-z0-9])?$': "must be a DNS label: lowercase letters, digits and '-', starting with a letter",
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$': "must be a namespace name: lowercase letters, digits and '-'",
  '^[A-Za-z0-9.:-]+$': 'must be an IP address or a DNS host name',
  '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$': 'must be a duration such as 500ms, 5s, 1m30s or 1h',
  '^(\\*|[a-z][a-z0-9+.-]*://[^/?#\\s]+)$': "must be '*' or an origin such as https://app.example.com",
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$':
    "must be a DNS subdomain: lowercase letters, digits, '-' and '.'",
  '^[-._a-zA-Z0-9]+$': "must consist of letters, digits, '-', '_' and '.'",
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$':
    'must be a condition type such as Ready or example.com/Ready',
  '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$': 'must be a CamelCase reason such as BackendNotFound',
  '^[0-9]{1,16}(Ki|Mi|Gi|Ti|k|M|G|T)?$': 'must be a byte count such as 65536, or a quantity such as 64Ki, 1Mi or 10M',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

const FORMAT_HINTS: Record<string, string> = {
  'date-time': 'must be an RFC 3339 date-time such as 2024-05-01T12:00:00Z',
  int32: 'must be a 32-bit integer',
  int64: 'must be a 64-bit integer',
};

/** ajv errors for one validation, collapsed so each mistake gives one Problem. */
export function problemsFromAjv(errors: readonly ErrorObject[], data: unknown): Problem[] {
  // An int-or-string mismatch fails both anyOf branches and the anyOf itself: keep the anyOf.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath + '/');
  const problems: Problem[] = [];
  for (const e of errors) {
    if (anyOfPaths.some((p) => e.schemaPath.startsWith(p))) continue;
    const base = pointerToSegments(e.instancePath, data);
    const { extra, reason } = describe(e);
    problems.push({ field: formatFieldPath([...base, ...extra]), reason });
  }
  return problems;
}

function describe(e: ErrorObject): { extra: PathSegment[]; reason: string } {
  const p = e.params as Record<string, unknown>;
  const n = p.limit as number;
  switch (e.keyword) {
    case 'required':
      return { extra: [p.missingProperty as string], reason: 'is required' };
    case 'additionalProperties':
      return { extra: [p.additionalProperty as string], reason: 'is not a field of WebSocketRoute (misspelled or misplaced?)' };
    case 'type':
      return { extra: [], reason: `must be ${TYPE_NAMES[String(p.type)] ?? String(p.type)}` };
    case 'anyOf':
      return { extra: [], reason: 'must be an integer or a string' };
    case 'enum':
      return { extra: [], reason: `must be one of ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'pattern':
      return { extra: [], reason: PATTERN_HINTS[String(p.pattern)] ?? `must match the pattern ${String(p.pattern)}` };
    case 'format':
      return { extra: [], reason: FORMAT_HINTS[String(p.format)] ?? `must be in ${String(p.format)} format` };
    case 'minLength':
      return { extra: [], reason: n === 1 ? 'must not be empty' : `must be at least ${n} characters long` };
    case 'maxLength':
      return { extra: [], reason: `must be at most ${n} characters long` };
    case 'minimum':
      return { extra: [], reason: `must be at least ${n}` };
    case 'maximum':
      return { extra: [], reason: `must be at most ${n}` };
    case 'exclusiveMinimum':
      return { extra: [], reason: `must be greater than ${n}` };
    case 'exclusiveMaximum':
      return { extra: [], reason: `must be less than ${n}` };
    case 'minItems':
      return { extra: [], reason: n === 1 ? 'must not be empty' : `must have at least ${n} items` };
    case 'maxItems':
      return { extra: [], reason: `must have at most ${n} items` };
    case 'minProperties':
      return { extra: [], reason: `must have at least ${n} entries` };
    case 'maxProperties':
      return { extra: [], reason: `must have at most ${n} entries` };
    case 'uniqueItems': {
      // ajv reports the later index as i and the earlier one as j.
      const [first, second] = [p.j as number, p.i as number].sort((a, b) => a - b);
      return { extra: [second!], reason: `is a duplicate of item ${first}` };
    }
    case 'listMapKeys':
      return {
        extra: [p.index as number],
        reason: `has the same ${(p.keys as string[]).join(' and ')} as item ${String(p.duplicateOf)}`,
      };
    default:
      return { extra: [], reason: e.message ?? `fails ${e.keyword}` };
  }
}

/** "/spec/backend/endpoints/1/port" -> ['spec', 'backend', 'endpoints', 1, 'port'], using the data to tell indexes from keys. */
function pointerToSegments(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}
