// Turns the CRD's structural schema into plain JSON Schema for ajv. The two dialects differ in
// a few places, and the apiserver's behaviour is what is reproduced:
// - x-kubernetes-int-or-string   -> anyOf integer | string
// - exclusiveMinimum: true       -> OpenAPI 3.0 boolean form becomes the draft-07 number form
// - objects with properties      -> additionalProperties: false; the apiserver prunes unknown
//                                   fields (kubectl refuses them), a file should name its typos
// - x-kubernetes-list-type set   -> uniqueItems; map -> the listMapKeys keyword (schema-validate.ts)
// - x-kubernetes-validations     -> dropped: cel-rules.ts mirrors each rule in TypeScript
// - formats other than date-time, int32 and int64 -> dropped (informational in Kubernetes)
// `default` and `description` are dropped: validation never depends on them.

import type { CrdSchema } from './crd.js';

export type JsonSchema = Record<string, unknown>;

/** Custom ajv keyword: items of a `x-kubernetes-list-type: map` list must differ in these keys. */
export const LIST_MAP_KEYS = 'listMapKeys';
const KNOWN_FORMATS = new Set(['date-time', 'int32', 'int64']);

const COPIED = [
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
] as const;

export function toJsonSchema(s: CrdSchema): JsonSchema {
  const out: JsonSchema = {};
  if (s['x-kubernetes-int-or-string']) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  else if (s.type) out.type = s.nullable ? [s.type, 'null'] : s.type;
  for (const key of COPIED) if (s[key] !== undefined) out[key] = s[key];
  if (s.minimum !== undefined) out[s.exclusiveMinimum ? 'exclusiveMinimum' : 'minimum'] = s.minimum;
  if (s.maximum !== undefined) out[s.exclusiveMaximum ? 'exclusiveMaximum' : 'maximum'] = s.maximum;
  if (s.format && KNOWN_FORMATS.has(s.format)) out.format = s.format;
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toJsonSchema(v)]));
  }
  if (typeof s.additionalProperties === 'object') out.additionalProperties = toJsonSchema(s.additionalProperties);
  else if (s.additionalProperties !== undefined) out.additionalProperties = s.additionalProperties;
  else if (s.properties && !s['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  if (s.items) out.items = toJsonSchema(s.items);
  if (s['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;
  if (s['x-kubernetes-list-type'] === 'map') out[LIST_MAP_KEYS] = s['x-kubernetes-list-map-keys'] ?? [];
  return out;
}
