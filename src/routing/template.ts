// Ocelot-style path templates: `/gateway/{catchAll}`, `/rooms/{room}/live`.
// A `{name}` placeholder takes one non-empty segment; one in the last segment takes the rest
// of the path (zero or more segments). Matching is done on the path as the proxy normalised it
// (request-target.ts: unreserved characters decoded, other encodings kept with upper-case hex),
// so a rewrite forwards the very bytes that were matched.

export type TemplateSegment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'rest'; name: string };

export interface ParsedTemplate {
  source: string;
  segments: TemplateSegment[];
  placeholders: string[];
  /**
   * Set only on HTTPRoute `Exact` paths, which match one path exactly: 'bare' ("/a") refuses
   * the trailing slash a template otherwise accepts, 'slash' ("/a/", "/") requires it.
   */
  exact?: 'bare' | 'slash';
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export function parseTemplate(template: string): ParsedTemplate {
  if (!template.startsWith('/')) throw new TemplateError(`template "${template}" must start with "/"`);
  if (/[?#\s]/.test(template)) {
    throw new TemplateError(`template "${template}" must not contain "?", "#" or whitespace`);
  }
  // Requests with one are refused before lookup (request-target.ts): such a route never matches.
  if (/%(?![0-9A-Fa-f]{2})/.test(template)) {
    throw new TemplateError(`template "${template}" has a malformed percent-encoding ("%" takes two hex digits)`);
  }
  // "/" alone and a trailing slash both mean "no more literal segments".
  const body = template.slice(1).replace(/\/$/, '');
  const parts = body === '' ? [] : body.split('/');
  const segments: TemplateSegment[] = [];
  const placeholders: string[] = [];
  parts.forEach((part, i) => {
    if (part === '') throw new TemplateError(`template "${template}" has an empty segment`);
    // Requests are matched after normalisation, so a literal is compared in that same form.
    const literal = canonicalEncoding(part);
    if (literal === '.' || literal === '..') {
      throw new TemplateError(`template "${template}" has a "${literal}" segment`);
    }
    const m = PLACEHOLDER.exec(part);
    if (m) {
      const name = m[1]!;
      if (placeholders.includes(name)) {
        throw new TemplateError(`template "${template}" repeats placeholder {${name}}`);
      }
      placeholders.push(name);
      segments.push({ kind: i === parts.length - 1 ? 'rest' : 'param', name });
      return;
    }
    if (part.includes('{') || part.includes('}')) {
      throw new TemplateError(
        `template "${template}" has segment "${part}": a placeholder must be a whole segment like {name}`,
      );
    }
    segments.push({ kind: 'literal', value: literal });
  });
  return { source: template, segments, placeholders };
}

/** ALPHA DIGIT - . _ ~ (RFC 3986 section 2.3): their percent-encodings mean the same path. */
export function isUnreserved(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/**
 * The form request paths are matched in (RFC 3986 sections 6.2.2.1-2): "%61" -> "a", "%c3" ->
 * "%C3". For path values in route configuration; requests get the same through
 * request-target.ts, which also refuses what cannot be normalised.
 */
export function canonicalEncoding(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const v = parseInt(hex, 16);
    return isUnreserved(v) ? String.fromCharCode(v) : `%${hex.toUpperCase()}`;
  });
}

export type PathParams = Record<string, string>;

/**
 * Matches a normalised request path (no query) against a template. Returns the captured values
 * or null. A literal-only template also matches the same path with a trailing slash.
 */
export function matchTemplate(t: ParsedTemplate, path: string): PathParams | null {
  const parts = splitPath(path);
  const params: PathParams = {};
  const segs = t.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.kind === 'rest') {
      params[seg.name] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === '') return null;
    if (seg.kind === 'literal') {
      if (part !== seg.value) return null;
    } else {
      params[seg.name] = part;
    }
  }
  // All template segments consumed: the path may only have a trailing slash left.
  if (parts.length === segs.length) return t.exact === 'slash' ? null : params;
  if (parts.length === segs.length + 1 && parts[segs.length] === '') return t.exact === 'bare' ? null : params;
  return null;
}

/**
 * The values a template captures from a path it is known to match (the routing table's trie
 * found it): the same as matchTemplate's, read by offsets without splitting the path. The
 * segment at `pos` runs to the next "/"; `pos` past the end means no segment is left.
 */
export function captureParams(t: ParsedTemplate, path: string): PathParams {
  const params: PathParams = {};
  let pos = 1;
  for (const seg of t.segments) {
    if (seg.kind === 'rest') {
      params[seg.name] = pos <= path.length ? path.slice(pos) : '';
      break;
    }
    let end = path.indexOf('/', pos);
    if (end === -1) end = path.length;
    if (seg.kind === 'param') params[seg.name] = path.slice(pos, end);
    pos = end + 1;
  }
  return params;
}

/** "/a/b/" -> ["a", "b", ""]; "/" -> [""]; keeps empty segments so "//" never matches a literal. */
function splitPath(path: string): string[] {
  return path.slice(1).split('/');
}

/** Fills a downstream template with captured values. */
export function renderTemplate(t: ParsedTemplate, params: PathParams): string {
  let out = '';
  for (const seg of t.segments) {
    const value = seg.kind === 'literal' ? seg.value : (params[seg.name] ?? '');
    if (seg.kind === 'rest' && value === '') {
      out += '/';
      continue;
    }
    out += '/' + value;
  }
  return out === '' ? '/' : out;
}

/**
 * The request target for the backend: the downstream template filled with the captured
 * values, a trailing slash kept when the client sent one (Socket.IO's `/socket.io/` differs
 * from `/socket.io`), and the query string passed on byte for byte.
 */
export function rewriteTarget(downstream: ParsedTemplate, params: PathParams, requestUrl: string): string {
  const q = requestUrl.indexOf('?');
  const path = q === -1 ? requestUrl : requestUrl.slice(0, q);
  let out = renderTemplate(downstream, params);
  // The root path's slash is the path itself, not a trailing slash.
  if (path.endsWith('/') && path !== '/') {
    if (!out.endsWith('/')) out += '/';
  } else if (out.length > 1 && out.endsWith('/') && endsInEmptyRest(downstream, params)) {
    // "/hub" on "/hub/{rest}": the empty catch-all adds no slash the client did not send.
    out = out.slice(0, -1);
  }
  return q === -1 ? out : out + requestUrl.slice(q);
}

function endsInEmptyRest(t: ParsedTemplate, params: PathParams): boolean {
  const last = t.segments[t.segments.length - 1];
  return last?.kind === 'rest' && (params[last.name] ?? '') === '';
}

/**
 * Specificity for precedence, compared lexicographically (higher wins): more literal segments,
 * then no catch-all over a catch-all, then more single-segment placeholders, then longer literals.
 */
export function templateSpecificity(t: ParsedTemplate): [number, number, number, number] {
  let literals = 0;
  let params = 0;
  let rest = 0;
  let literalChars = 0;
  for (const seg of t.segments) {
    if (seg.kind === 'literal') {
      literals++;
      literalChars += seg.value.length;
    } else if (seg.kind === 'param') params++;
    else rest++;
  }
  return [literals, rest === 0 ? 1 : 0, params, literalChars];
}

/** Shape of a template with placeholder names erased: two routes with the same shape overlap fully. */
export function templateShape(t: ParsedTemplate): string {
  return (
    '/' +
    t.segments.map((s) => (s.kind === 'literal' ? s.value : s.kind === 'param' ? '{}' : '{*}')).join('/')
  );
}
