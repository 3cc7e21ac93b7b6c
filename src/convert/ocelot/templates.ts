// Ocelot path templates to wsgate templates. Both use {name} placeholders and let one in the
// last segment take the rest of the path, so /gateway/{everything} stays as it is. What
// differs: wsgate placeholders are whole segments named like identifiers, and a template has
// no query part.

import { TemplateError, parseTemplate } from '../../routing/template.js';

export interface TemplateConversion {
  template?: string;
  problem?: string;
  /** Placeholders renamed to fit wsgate's names: Ocelot name -> wsgate name. */
  renamed: Map<string, string>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function convertTemplate(template: string, renamed = new Map<string, string>(), mustExist = false): TemplateConversion {
  if (!template.startsWith('/')) return { problem: `"${template}" does not start with "/"`, renamed };
  if (template.includes('?')) return { problem: `"${template}" has a query part; wsgate matches paths only (the query is always passed on)`, renamed };
  const segments = template.split('/');
  const out: string[] = [];
  for (const seg of segments) {
    const m = /^\{([^{}]+)\}$/.exec(seg);
    if (!m) {
      if (seg.includes('{') || seg.includes('}')) {
        return { problem: `"${template}": segment "${seg}" mixes text and a placeholder; wsgate placeholders are whole segments`, renamed };
      }
      out.push(seg);
      continue;
    }
    const name = m[1]!;
    let mapped = renamed.get(name);
    if (mapped === undefined) {
      if (mustExist) return { problem: `"${template}": {${name}} is not in the upstream template`, renamed };
      mapped = NAME.test(name) ? name : uniqueName(name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_'), renamed);
      renamed.set(name, mapped);
    }
    out.push(`{${mapped}}`);
  }
  const result = out.join('/');
  try {
    parseTemplate(result);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return { problem: err.message, renamed };
  }
  return { template: result, renamed };
}

function uniqueName(base: string, taken: Map<string, string>): string {
  const used = new Set(taken.values());
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}${n}`;
  return name;
}
