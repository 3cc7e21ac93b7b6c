// The converter as one pure function: input texts in, routes and findings out. After the
// format converters ran, every route is checked with the same validation `wsgate validate`
// uses (a route that fails is dropped and reported, so the output always validates), routes
// that would conflict in wsgate are reported, and names are made unique.

import { parseTemplate, templateShape } from '../routing/template.js';
import { validateRoute } from '../api/validate.js';
import { detectFormat } from './detect.js';
import { parseKubeObjects, servicePorts, type KubeObject, type ServicePorts } from './documents.js';
import { convertIngress } from './ingress/convert.js';
import { makeNamesUnique } from './names.js';
import { convertOcelot } from './ocelot/convert.js';
import type { ConvertOptions, ConvertResult, ConvertedRoute, Finding, Format, InputFile } from './types.js';

export function convert(inputs: InputFile[], opts: ConvertOptions): ConvertResult {
  const errors: string[] = [];
  const findings: Finding[] = [];
  const routes: ConvertedRoute[] = [];
  const formats = inputs.map((input) => opts.from ?? detectFormat(input.text));
  const kube = new Map<InputFile, KubeObject[]>();
  inputs.forEach((input, i) => {
    if (formats[i] !== 'ingress-nginx') return;
    try {
      kube.set(input, parseKubeObjects(input.text));
    } catch (err) {
      errors.push(`${input.name}: not YAML: ${(err as Error).message}`);
    }
  });
  // Services in any YAML input let the Ocelot converter pick ports as Ocelot did.
  const services = [...kube.values()].flat().map((o) => servicePorts(o, opts.namespace)).filter((s): s is ServicePorts => s !== undefined);

  inputs.forEach((input, i) => {
    const format: Format | undefined = formats[i];
    if (format === undefined) {
      errors.push(`${input.name}: neither Ingresses nor an ocelot.json (Routes/ReRoutes); name the format with --from`);
    } else if (format === 'ocelot') {
      const out = convertOcelot(input.text, input.name, { namespace: opts.namespace, services });
      if (out.error) errors.push(out.error);
      routes.push(...out.routes);
      findings.push(...out.findings);
    } else {
      const objects = kube.get(input);
      if (!objects) return;
      const ignored = new Map<string, number>();
      for (const o of objects) {
        if (o.kind !== 'Ingress') {
          if (o.kind !== 'Service') ignored.set(o.kind || '(no kind)', (ignored.get(o.kind || '(no kind)') ?? 0) + 1);
          continue;
        }
        const out = convertIngress(o, input.name, opts.namespace);
        routes.push(...out.routes);
        findings.push(...out.findings);
      }
      if (ignored.size > 0) {
        const what = [...ignored].map(([k, n]) => `${k} x${n}`).join(', ');
        findings.push({ source: input.name, object: '(file)', field: 'kind', level: 'note', message: `not Ingresses, ignored: ${what}` });
      }
    }
  });

  const valid = routes.filter((r) => {
    const problems = validateRoute(r.route);
    for (const p of problems) {
      findings.push({ source: r.source, object: r.object, field: p.field, level: 'unconverted', message: `the converted route ${r.route.metadata.name} is invalid and left out: ${p.reason}` });
    }
    return problems.length === 0;
  });
  const kept = dropConflicts(valid, findings);
  makeNamesUnique(kept);
  return { routes: kept, findings, errors };
}

/**
 * wsgate accepts one route per host, path shape and match conditions and marks the others
 * Conflict; the first in input order is kept (ingress-nginx too keeps the oldest Ingress's path).
 */
function dropConflicts(routes: ConvertedRoute[], findings: Finding[]): ConvertedRoute[] {
  const seen = new Map<string, ConvertedRoute>();
  return routes.filter((r) => {
    const s = r.route.spec;
    const key = JSON.stringify([
      [...(s.hosts ?? [])].sort(),
      templateShape(parseTemplate(s.match.path)),
      [...(s.match.headers ?? [])].map((h) => `${h.name.toLowerCase()}=${h.value}`).sort(),
      [...(s.match.subprotocols ?? [])].sort(),
    ]);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, r);
      return true;
    }
    findings.push({
      source: r.source,
      object: r.object,
      field: 'spec.match.path',
      level: 'unconverted',
      message: `same hosts and path as the route from ${first.object} (${first.source}); wsgate would reject one as Conflict, so this one is left out`,
    });
    return false;
  });
}
