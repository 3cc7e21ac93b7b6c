// `timeouts:` with nothing after it is YAML null. The apiserver drops such nulls for fields
// that are not nullable before it validates (PruneNonNullableNullsWithoutDefaults, then
// defaulting), so a null means "absent". Doing the same here keeps standalone files and the
// cluster in agreement, and spares later code from telling null and undefined apart.

import type { CrdSchema } from './crd.js';

/** A copy of `value` without null fields that `schema` declares and does not mark nullable. */
export function pruneNulls(value: unknown, schema: CrdSchema | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => pruneNulls(item, schema?.items));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = fieldSchema(schema, key);
    if (child === null && childSchema && !childSchema.nullable) continue;
    // defineProperty, not assignment: a `__proto__` key must stay an own (unknown) field.
    Object.defineProperty(out, key, { value: pruneNulls(child, childSchema), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function fieldSchema(schema: CrdSchema | undefined, key: string): CrdSchema | undefined {
  if (!schema) return undefined;
  const own = schema.properties?.[key];
  if (own) return own;
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}
