// An HTTPRoute rule's (or backendRef's) filters, checked and turned into the entry's RouteFilters.
// A filter a backend or client would see as something else (a header value with a line break)
// makes the rule invalid, with the field named.

import { isHeaderValue, isHttpToken } from '../api/formats.js';
import type { HeaderModifier, PathModifier, RouteFilters } from './model.js';
import { translateCors } from './route-cors.js';
import type { RuleMatches } from './translate-state.js';
import type { HTTPHeaderFilter, HTTPPathModifier, HTTPRouteFilter } from './types.js';

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/**
 * The Gateway API CRD puts no pattern on header values (and its name pattern is the only guard
 * on names): a value with CR or LF would be written into the backend's request or the client's
 * 101 as further header lines of the route author's choosing (Set-Cookie included). Such a
 * filter makes its rule invalid, with the field named.
 */
function headerModifierProblems(f: HTTPHeaderFilter | undefined, where: string, problems: string[]): void {
  for (const op of ['set', 'add'] as const) {
    (f?.[op] ?? []).forEach((h, i) => {
      if (!isHttpToken(h.name)) problems.push(`${where}.${op}[${i}].name ${JSON.stringify(h.name)} is not an HTTP header name`);
      if (!isHeaderValue(h.value)) problems.push(`${where}.${op}[${i}].value contains CR, LF or NUL, which would split the header`);
    });
  }
  (f?.remove ?? []).forEach((name, i) => {
    if (!isHttpToken(name)) problems.push(`${where}.remove[${i}] ${JSON.stringify(name)} is not an HTTP header name`);
  });
}

function headerModifier(f: HTTPHeaderFilter | undefined): HeaderModifier {
  return {
    set: (f?.set ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    add: (f?.add ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    remove: (f?.remove ?? []).map((h) => h.toLowerCase()),
  };
}

function pathModifier(p: HTTPPathModifier | undefined, where: string, problems: string[], matches: RuleMatches): PathModifier | undefined {
  if (!p) return undefined;
  if (p.type === 'ReplaceFullPath') return { type: 'ReplaceFullPath', value: p.replaceFullPath ?? '/' };
  if (p.type === 'ReplacePrefixMatch') {
    if (matches.some((m) => m.path.type !== 'PathPrefix')) problems.push(`${where}: ReplacePrefixMatch needs PathPrefix matches`);
    return { type: 'ReplacePrefixMatch', value: p.replacePrefixMatch ?? '/' };
  }
  problems.push(`${where}.type ${String(p.type)} is not supported`);
  return undefined;
}

export function translateFilters(filters: readonly HTTPRouteFilter[] | undefined, at: string, problems: string[], matches: RuleMatches, backendLevel: boolean): RouteFilters {
  const out: { -readonly [K in keyof RouteFilters]: RouteFilters[K] } = {};
  (filters ?? []).forEach((f, k) => {
    const where = `${at}.filters[${k}]`;
    const allowed = backendLevel ? ['RequestHeaderModifier', 'ResponseHeaderModifier'] : ['RequestHeaderModifier', 'ResponseHeaderModifier', 'URLRewrite', 'RequestRedirect', 'CORS', 'RequestMirror'];
    if (!allowed.includes(f.type)) {
      problems.push(`${where}.type ${f.type} is not supported${backendLevel ? ' on a backendRef' : ''} (${allowed.join(', ')} are)`);
      return;
    }
    switch (f.type) {
      case 'RequestHeaderModifier':
        headerModifierProblems(f.requestHeaderModifier, `${where}.requestHeaderModifier`, problems);
        out.requestHeaders = headerModifier(f.requestHeaderModifier);
        break;
      case 'ResponseHeaderModifier':
        headerModifierProblems(f.responseHeaderModifier, `${where}.responseHeaderModifier`, problems);
        out.responseHeaders = headerModifier(f.responseHeaderModifier);
        break;
      case 'URLRewrite': {
        const path = pathModifier(f.urlRewrite?.path, `${where}.urlRewrite.path`, problems, matches);
        out.urlRewrite = { ...(f.urlRewrite?.hostname ? { hostname: f.urlRewrite.hostname } : {}), ...(path ? { path } : {}) };
        break;
      }
      case 'RequestRedirect': {
        const r = f.requestRedirect ?? {};
        const statusCode = r.statusCode ?? 302;
        if (!REDIRECT_CODES.has(statusCode)) problems.push(`${where}.requestRedirect.statusCode ${statusCode} is not supported`);
        const path = pathModifier(r.path, `${where}.requestRedirect.path`, problems, matches);
        out.redirect = {
          ...(r.scheme ? { scheme: r.scheme } : {}),
          ...(r.hostname ? { hostname: r.hostname } : {}),
          ...(path ? { path } : {}),
          ...(r.port !== undefined ? { port: r.port } : {}),
          statusCode: statusCode as 301 | 302 | 303 | 307 | 308,
        };
        break;
      }
      case 'CORS':
        out.cors = translateCors(f.cors, `${where}.cors`, problems);
        break;
      case 'RequestMirror':
        // Its backendRef is resolved with the rule's (route-rules.ts), which has the Services.
        break;
    }
  });
  if (out.urlRewrite && out.redirect) problems.push(`${at}: URLRewrite and RequestRedirect cannot be combined`);
  return out;
}
