// Ingress paths to wsgate path templates.
//
// Kubernetes Prefix matching is by whole segments, ignoring a trailing slash: Prefix /a matches
// /a, /a/ and /a/b, never /ab. A wsgate template whose last segment is a placeholder takes the
// rest of the path, zero segments included (src/routing/template.ts), so Prefix /a is exactly
// /a/{rest}. Exact /a is the literal template /a (which also takes /a/).
//
// With use-regex (implied by rewrite-target) ingress-nginx turns each path into a
// case-insensitive regex location anchored at the start, and rewrites with nginx's `rewrite`,
// which replaces the whole URI with the target ($1, $2 ... being the path's groups). The few
// regex shapes people actually write reduce to templates; everything else is reported.

import { TemplateError, parseTemplate } from '../../routing/template.js';

export const REST = 'rest';

export interface PathConversion {
  match?: string;
  backendPath?: string;
  /** Caveats that do not stop the conversion. */
  notes: string[];
  /** Why the path could not be converted (then match is unset). */
  problem?: string;
}

const REGEX_META = /[()[\]*+?|^$\\{}]/;

export function convertPath(path: string, pathType: string, regex: boolean, rewriteTarget: string | undefined): PathConversion {
  if (!path.startsWith('/')) return { notes: [], problem: `path "${path}" does not start with "/"` };
  if (regex) return convertRegexPath(path, rewriteTarget);
  if (REGEX_META.test(path)) {
    return { notes: [], problem: `path "${path}" has regex or template characters but use-regex is not set (nginx matched it literally, wsgate cannot)` };
  }
  const notes: string[] = [];
  let match: string;
  if (pathType === 'Exact') match = path;
  else {
    if (pathType !== 'Prefix') {
      notes.push(`pathType ${pathType} is treated as Prefix (by whole path segments; nginx matched ImplementationSpecific as a plain string prefix, so /ab also matched /a)`);
    }
    match = prefixTemplate(path);
  }
  const bad = templateProblem(match);
  return bad ? { notes, problem: `path "${path}": ${bad}` } : { match, notes };
}

function prefixTemplate(path: string): string {
  const base = path.replace(/\/+$/, '');
  return `${base}/{${REST}}`;
}

function templateProblem(t: string): string | undefined {
  try {
    parseTemplate(t);
    return undefined;
  } catch (err) {
    if (err instanceof TemplateError) return err.message;
    throw err;
  }
}

/** What a capture group of a reduced regex holds. */
type Group = 'rest' | 'slash';

interface Reduced {
  match: string;
  groups: Group[];
  notes: string[];
}

function convertRegexPath(path: string, rewriteTarget: string | undefined): PathConversion {
  const reduced = reduceRegex(path);
  if (typeof reduced === 'string') return { notes: [], problem: reduced };
  const notes = [...reduced.notes, 'ingress-nginx matched regex paths case-insensitively; wsgate matches case-sensitively'];
  const bad = templateProblem(reduced.match);
  if (bad) return { notes, problem: `path "${path}": ${bad}` };
  if (rewriteTarget === undefined) return { match: reduced.match, notes };
  const target = convertRewriteTarget(rewriteTarget, reduced.groups);
  if (typeof target !== 'string') return { notes, problem: target.problem };
  const badTarget = templateProblem(target);
  if (badTarget) return { notes, problem: `rewrite-target "${rewriteTarget}" gives ${target}: ${badTarget}` };
  return { match: reduced.match, backendPath: target, notes };
}

/**
 * The regex shapes that are templates:
 *   /a(/|$)(.*)   the rewrite recipe of the ingress-nginx docs: /a/{rest}, $2 = rest
 *   /a/(.*)       /a/{rest} ($1 = rest; nginx needed the slash, wsgate also takes /a)
 *   /a/?(.*)      as /a(/|$)(.*) (nginx also matched /ab)
 *   /a$           exact
 *   /a            a plain string prefix in nginx: /a/{rest} (nginx also matched /ab)
 */
export function reduceRegex(path: string): Reduced | string {
  const p = path.replace(/^\^/, '');
  const notes: string[] = [];
  const shapes: Array<{ re: RegExp; groups: Group[]; build: (lit: string) => string; note?: string }> = [
    { re: /^(.*?)\(\/\|\$\)\(\.\*\)$/, groups: ['slash', 'rest'], build: (l) => `${trim(l)}/{${REST}}` },
    { re: /^(.*?\/)\(\.[*+]\)\$?$/, groups: ['rest'], build: (l) => `${l}{${REST}}`, note: 'nginx required the "/" after the prefix; wsgate also matches the prefix alone' },
    { re: /^(.*?)\/\?\(\.\*\)$/, groups: ['rest'], build: (l) => `${trim(l)}/{${REST}}`, note: 'the regex also matched longer words (e.g. /ab for /a); wsgate matches whole segments' },
    { re: /^(.*?)\$$/, groups: [], build: (l) => l || '/' },
    { re: /^(.*)$/, groups: [], build: (l) => `${trim(l)}/{${REST}}`, note: 'a regex location is a string prefix (it also matched /ab for /a); wsgate matches whole segments' },
  ];
  for (const shape of shapes) {
    const m = shape.re.exec(p);
    if (!m) continue;
    const literal = unescapeLiteral(m[1]!);
    if (literal === undefined) continue;
    if (literal.dotted) notes.push('an unescaped "." in the regex matched any character; it is taken as a literal dot');
    if (shape.note) notes.push(shape.note);
    return { match: shape.build(literal.text), groups: shape.groups, notes };
  }
  return `regex path "${path}" does not reduce to a wsgate path template (supported: /a(/|$)(.*), /a/(.*), /a/?(.*), /a$ and plain prefixes)`;
}

function trim(literal: string): string {
  return literal.replace(/\/+$/, '');
}

/** A regex fragment without metacharacters ("\." allowed), as the literal text it matches. */
function unescapeLiteral(fragment: string): { text: string; dotted: boolean } | undefined {
  let text = '';
  let dotted = false;
  for (let i = 0; i < fragment.length; i++) {
    const c = fragment[i]!;
    if (c === '\\') {
      const next = fragment[++i];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined; // \d, \w ...: a class
      text += next;
    } else if (c === '.') {
      dotted = true;
      text += c;
    } else if (/[()[\]*+?|^${}]/.test(c)) return undefined;
    else text += c;
  }
  if (!text.startsWith('/')) return undefined;
  return { text, dotted };
}

/** $N and ${N} of the rewrite target to template placeholders; only the rest group has one. */
export function convertRewriteTarget(target: string, groups: Group[]): string | { problem: string } {
  if (!target.startsWith('/')) {
    return { problem: `rewrite-target "${target}" is not a path (redirects to other hosts are not a proxy rewrite)` };
  }
  let problem: string | undefined;
  const out = target.replace(/\$(\{(\d+)\}|(\d+)|[A-Za-z_]\w*)/g, (all, _b, braced: string | undefined, plain: string | undefined) => {
    const n = braced ?? plain;
    if (n === undefined) {
      problem ??= `rewrite-target "${target}" uses the nginx variable ${all}, which wsgate has no equivalent for`;
      return all;
    }
    const group = groups[Number(n) - 1];
    if (group === 'rest') return `{${REST}}`;
    problem ??=
      group === 'slash'
        ? `rewrite-target "${target}" uses ${all}, the "(/|$)" group, which a template cannot express`
        : `rewrite-target "${target}" uses ${all}, which the path's regex has no group for`;
    return all;
  });
  if (problem) return { problem };
  if (/[?#]/.test(out)) return { problem: `rewrite-target "${target}" has a query string or fragment` };
  return out;
}
