// Structural validation against the CRD's own openAPIV3Schema, with ajv. Compiled once: the
// controller validates every route on every table compile.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { loadRouteSchema } from './crd.js';
import { LIST_MAP_KEYS, toJsonSchema } from './json-schema.js';
import type { Problem } from './problem.js';
import { problemsFromAjv } from './schema-messages.js';

// RFC 3339 as Kubernetes writes metav1.Time (seconds, optional fraction, Z or offset).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addKeyword({
    keyword: LIST_MAP_KEYS,
    type: 'array',
    schemaType: 'array',
    errors: true,
    validate: checkListMapKeys,
  });
  return ajv.compile(toJsonSchema(loadRouteSchema()));
}

/** Items of a list-type map must differ in their key fields (the apiserver refuses duplicates). */
function checkListMapKeys(this: unknown, keys: string[], data: unknown[]): boolean {
  const seen = new Map<string, number>();
  const errors: Partial<ErrorObject>[] = [];
  data.forEach((item, index) => {
    if (item === null || typeof item !== 'object') return;
    const id = JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]));
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else errors.push({ keyword: LIST_MAP_KEYS, params: { keys, index, duplicateOf: first } });
  });
  checkListMapKeys.errors = errors;
  return errors.length === 0;
}
checkListMapKeys.errors = [] as Partial<ErrorObject>[];

export function validateAgainstSchema(doc: unknown): Problem[] {
  validator ??= compile();
  if (validator(doc)) return [];
  return problemsFromAjv(validator.errors ?? [], doc);
}
