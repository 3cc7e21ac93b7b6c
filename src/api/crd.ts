// Loads crds/wsgate.io_websocketroutes.yaml at run time: the CRD is the one source of the
// schema, so standalone validation reads the very file the cluster is given instead of a copy
// that could drift.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { VERSION } from './types.js';

const CRD_FILE = 'wsgate.io_websocketroutes.yaml';

/** The subset of a CRD's openAPIV3Schema node that wsgate reads. */
export interface CrdSchema {
  type?: string;
  description?: string;
  properties?: Record<string, CrdSchema>;
  additionalProperties?: CrdSchema | boolean;
  items?: CrdSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: CelValidation[];
}

export interface CelValidation {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

export interface CustomResourceDefinition {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: Record<string, unknown>;
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: Record<string, unknown>;
      additionalPrinterColumns?: Array<{ name: string; type: string; jsonPath: string }>;
      schema: { openAPIV3Schema: CrdSchema };
    }>;
  };
}

let cachedPath: string | undefined;
let cachedCrd: CustomResourceDefinition | undefined;

/**
 * Absolute path of the CRD file. The module runs from src/api/ (tests of the source tree) and
 * from dist/src/api/ (the build), so walk up to the first directory holding crds/.
 */
export function crdPath(): string {
  if (cachedPath) return cachedPath;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'crds', CRD_FILE);
    if (existsSync(candidate)) return (cachedPath = candidate);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find crds/${CRD_FILE} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The whole CRD, parsed once and frozen so no caller can change what others see. */
export function loadCrd(): CustomResourceDefinition {
  if (!cachedCrd) cachedCrd = deepFreeze(parse(readFileSync(crdPath(), 'utf8')) as CustomResourceDefinition);
  return cachedCrd;
}

/** The v1alpha1 openAPIV3Schema: the whole object (apiVersion, kind, metadata, spec, status). */
export function loadRouteSchema(): CrdSchema {
  const version = loadCrd().spec.versions.find((v) => v.name === VERSION);
  if (!version) throw new Error(`${crdPath()} has no version ${VERSION}`);
  return version.schema.openAPIV3Schema;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
