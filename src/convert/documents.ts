// Kubernetes objects from YAML (or JSON) text: multi-document files and the `List` that
// `kubectl get ... -o yaml` prints, flattened in order.

import { parseAllDocuments } from 'yaml';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const obj = (v: unknown): Obj => (isObj(v) ? v : {});
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface KubeObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | undefined;
  body: Obj;
}

/** Parses every document; throws with the first YAML error (the whole file is unusable then). */
export function parseKubeObjects(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: false })) {
    const err = doc.errors[0];
    if (err) throw new Error(`line ${lineOf(text, err.pos[0])}: ${err.message}`);
    flatten(doc.toJS({ maxAliasCount: 1000 }), out);
  }
  return out;
}

function flatten(value: unknown, out: KubeObject[]): void {
  if (!isObj(value)) return;
  const kind = str(value.kind) ?? '';
  // "List" from kubectl, "IngressList" from the API itself.
  if (kind === 'List' || (kind.endsWith('List') && Array.isArray(value.items))) {
    for (const item of list(value.items)) flatten(item, out);
    return;
  }
  const metadata = obj(value.metadata);
  out.push({
    apiVersion: str(value.apiVersion) ?? '',
    kind,
    name: str(metadata.name) ?? '',
    namespace: str(metadata.namespace),
    body: value,
  });
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** A Service's ports as Ocelot's Kubernetes provider sees them. */
export interface ServicePorts {
  namespace: string;
  name: string;
  ports: Array<{ name?: string; port: number }>;
}

export function servicePorts(o: KubeObject, defaultNamespace: string): ServicePorts | undefined {
  if (o.kind !== 'Service' || o.apiVersion !== 'v1') return undefined;
  const ports = list(obj(o.body.spec).ports)
    .map(obj)
    .filter((p) => typeof p.port === 'number')
    .map((p) => ({ ...(str(p.name) ? { name: str(p.name) } : {}), port: p.port as number }));
  return { namespace: o.namespace ?? defaultNamespace, name: o.name, ports };
}
