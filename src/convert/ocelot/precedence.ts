// Ocelot and wsgate pick among overlapping routes differently. Ocelot takes the first match
// in order of Priority (highest first; a bare /{catchAll} counts as 0, others default to 1),
// then of the file, and a route without UpstreamHost competes with the ones that have one.
// wsgate prefers a route for the exact host, then the more specific template
// (src/routing/template.ts templateSpecificity). Where the two disagree about some path, the
// route Ocelot preferred loses requests: that is reported, with a path as an example.

import { parseTemplate, templateSpecificity, type TemplateSegment } from '../../routing/template.js';
import type { Findings } from '../findings.js';

export interface RankedRoute {
  /** Index in Routes, the Ocelot order among equal priorities. */
  index: number;
  /** "Routes[3]" (or "ReRoutes[3]"). */
  label: string;
  /** Ocelot's effective priority. */
  priority: number;
  host: string | undefined;
  template: string;
  headerCount: number;
  /** "namespace/name": wsgate's last tie-break. */
  key: string;
  caseSensitive: boolean;
  findings: Findings;
}

export function ocelotPriority(upstreamTemplate: string, priority: unknown): number {
  if (/^\/\{[^/{}]+\}$/.test(upstreamTemplate)) return 0;
  return typeof priority === 'number' ? priority : 1;
}

export function checkPrecedence(routes: RankedRoute[]): void {
  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      comparePair(routes[i]!, routes[j]!);
    }
  }
}

function comparePair(a: RankedRoute, b: RankedRoute): void {
  if (a.host !== undefined && b.host !== undefined && a.host !== b.host) return;
  const sa = parseTemplate(a.template).segments;
  const sb = parseTemplate(b.template).segments;
  const witness = overlap(sa, sb);
  if (witness === null) {
    checkCase(a, b, sa, sb);
    return;
  }
  const ocelot = ocelotOrder(a, b) < 0 ? a : b;
  const wsgate = wsgateOrder(a, b, sa, sb) < 0 ? a : b;
  if (ocelot === wsgate) return;
  const loser = ocelot;
  const winner = wsgate;
  const host = a.host ?? b.host;
  const why = a.host !== b.host ? `it is for the host ${host}` : 'its template is more specific';
  const field = a.host !== b.host ? 'UpstreamHost' : a.priority !== b.priority ? 'Priority' : 'UpstreamPathTemplate';
  loser.findings.unconverted(
    field,
    `precedence changes: Ocelot sent ${host ?? ''}${witness} (for example) to ${loser.label} (Priority ${loser.priority}), wsgate sends it to ${winner.label} (${why}); make the templates disjoint or drop one`,
  );
}

/** Negative when a comes first in Ocelot's order. */
function ocelotOrder(a: RankedRoute, b: RankedRoute): number {
  return b.priority - a.priority || a.index - b.index;
}

/** Negative when wsgate prefers a (docs/routes.md, "Precedence"). */
function wsgateOrder(a: RankedRoute, b: RankedRoute, sa: TemplateSegment[], sb: TemplateSegment[]): number {
  if ((a.host === undefined) !== (b.host === undefined)) return a.host !== undefined ? -1 : 1;
  const ta = templateSpecificity({ source: a.template, segments: sa, placeholders: [] });
  const tb = templateSpecificity({ source: b.template, segments: sb, placeholders: [] });
  for (let k = 0; k < ta.length; k++) if (ta[k] !== tb[k]) return tb[k]! - ta[k]!;
  return b.headerCount - a.headerCount || (a.key < b.key ? -1 : 1);
}

/** A path both templates match, or null. */
export function overlap(a: TemplateSegment[], b: TemplateSegment[]): string | null {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  for (;;) {
    const x = a[i];
    const y = b[j];
    if (x?.kind === 'rest' || y?.kind === 'rest') {
      // A catch-all takes whatever the other template still needs (zero segments included).
      const other = x?.kind === 'rest' ? b.slice(j) : a.slice(i);
      for (const s of other) if (s.kind !== 'rest') out.push(s.kind === 'literal' ? s.value : 'x');
      return '/' + out.join('/');
    }
    if (x === undefined || y === undefined) return x === y ? '/' + out.join('/') : null;
    if (x.kind === 'literal' && y.kind === 'literal') {
      if (x.value !== y.value) return null;
      out.push(x.value);
    } else out.push(x.kind === 'literal' ? x.value : y.kind === 'literal' ? y.value : 'x');
    i++;
    j++;
  }
}

/**
 * Ocelot matches case-insensitively unless RouteIsCaseSensitive: /Chat and /chat were one
 * path there, two for wsgate.
 */
function checkCase(a: RankedRoute, b: RankedRoute, sa: TemplateSegment[], sb: TemplateSegment[]): void {
  if (a.caseSensitive && b.caseSensitive) return;
  const lower = (s: TemplateSegment[]) => s.map((x) => (x.kind === 'literal' ? { ...x, value: x.value.toLowerCase() } : x));
  const witness = overlap(lower(sa), lower(sb));
  if (witness === null) return;
  const later = ocelotOrder(a, b) < 0 ? b : a;
  later.findings.unconverted(
    'RouteIsCaseSensitive',
    `precedence changes: Ocelot matched case-insensitively, so ${witness} in any case went to ${(later === a ? b : a).label} first; wsgate matches case-sensitively and routes the two spellings apart`,
  );
}
