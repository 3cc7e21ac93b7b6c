// An HTTPRoute's CORS filter (HTTPRouteCORS), checked and put in the form the data plane
// matches: origins as a browser sends them (lower-case, without the scheme's default port, which
// the spec says is assumed), methods and header names that can be written into a header.
// The CRD's own rules (patterns, enums, `*` alone) are checked again: the translator also sees
// objects no apiserver validated (tests, `wsgate convert`), and a value it writes must not
// split a header.

import { DEFAULT_CORS_MAX_AGE_SECONDS } from '../api/defaults.js';
import { isHttpToken, isOriginPattern } from '../api/formats.js';
import type { CorsFilter } from './model.js';
import type { HTTPCORSFilter } from './types.js';

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };
const ORIGIN_WITH_PORT = /^(https?):\/\/(.+):(\d{1,5})$/;

/** `https://app.example:443` -> `https://app.example`; lower-cased. Anything else unchanged. */
function browserForm(origin: string): string {
  const lower = origin.toLowerCase();
  const m = ORIGIN_WITH_PORT.exec(lower);
  return m && DEFAULT_PORTS[m[1]!] === m[3] ? `${m[1]}://${m[2]}` : lower;
}

function tokens(list: readonly string[] | undefined, where: string, what: string, problems: string[]): string[] {
  const out: string[] = [];
  (list ?? []).forEach((v, i) => {
    if (!isHttpToken(v)) problems.push(`${where}[${i}] ${JSON.stringify(v)} is not ${what}`);
    else out.push(v);
  });
  if (out.includes('*') && out.length > 1) problems.push(`${where}: '*' cannot be combined with other values`);
  return out;
}

export function translateCors(f: HTTPCORSFilter | undefined, where: string, problems: string[]): CorsFilter {
  const allowOrigins: string[] = [];
  (f?.allowOrigins ?? []).forEach((o, i) => {
    const origin = browserForm(o);
    // `https://*` (any host of a scheme) is in the CRD's pattern but is no origin a browser
    // sends, and wsgate's origin matcher has no such form: `*` says "any".
    if (!isOriginPattern(origin)) problems.push(`${where}.allowOrigins[${i}] ${JSON.stringify(o)} is not an origin (scheme://host[:port], the host may start with *.) or '*'`);
    else allowOrigins.push(origin);
  });
  if (allowOrigins.includes('*') && allowOrigins.length > 1) problems.push(`${where}.allowOrigins: '*' cannot be combined with other origins`);
  const maxAge = f?.maxAge ?? DEFAULT_CORS_MAX_AGE_SECONDS;
  if (!Number.isInteger(maxAge) || maxAge < 1) problems.push(`${where}.maxAge ${maxAge} is not a whole number of seconds >= 1`);
  return {
    allowOrigins,
    allowMethods: tokens(f?.allowMethods, `${where}.allowMethods`, 'an HTTP method', problems),
    allowHeaders: tokens(f?.allowHeaders, `${where}.allowHeaders`, 'an HTTP header name', problems),
    exposeHeaders: tokens(f?.exposeHeaders, `${where}.exposeHeaders`, 'an HTTP header name', problems),
    allowCredentials: f?.allowCredentials === true,
    maxAgeSeconds: maxAge,
  };
}
