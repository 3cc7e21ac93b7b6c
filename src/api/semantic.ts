// Rules the CRD schema cannot express (or that the apiserver has no library for): templates
// that parse, durations a timer can hold, real host names and IPs, header sets that do not
// fight the WebSocket handshake. In the cluster these surface as Accepted=False on the route;
// in standalone mode as a refused file. Each check skips values of the wrong type: the schema
// check has already said so.

import { TemplateError, parseTemplate } from '../routing/template.js';
import { MAX_TIMER_MS, parseDuration } from './duration.js';
import { parseByteSize } from './quantity.js';
import { formatFieldPath, type PathSegment } from './field-path.js';
import { isHostname, isHttpToken, isIPAddress, isOriginPattern, isPortName, isRouteHost } from './formats.js';
import type { Problem } from './problem.js';
import { FRAMING_HEADERS, WSGATE_SET_HEADERS } from './reserved-headers.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Headers the proxy owns on the request: changing them would break the WebSocket handshake or
 * the framing of the request, so requestHeaders may not set, add or remove them.
 */
const MANAGED_HEADERS: ReadonlySet<string> = new Set([
  ...FRAMING_HEADERS,
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);

/** Durations and whether 0 is meaningful (0 = no limit for idle/maxLifetime, close at once for drain). */
const DURATIONS: ReadonlyArray<{ at: PathSegment[]; zeroAllowed: boolean }> = [
  { at: ['timeouts', 'connect'], zeroAllowed: false },
  { at: ['timeouts', 'idle'], zeroAllowed: true },
  { at: ['timeouts', 'upgrade'], zeroAllowed: false },
  { at: ['timeouts', 'maxLifetime'], zeroAllowed: true },
  { at: ['drain', 'timeout'], zeroAllowed: true },
  { at: ['security', 'auth', 'jwt', 'clockSkew'], zeroAllowed: true },
  { at: ['sessionAffinity', 'cookie', 'maxAge'], zeroAllowed: false },
  { at: ['keepalive', 'pingInterval'], zeroAllowed: false },
  { at: ['keepalive', 'pongTimeout'], zeroAllowed: false },
  { at: ['http', 'retry', 'backoff'], zeroAllowed: true },
];

/** Byte sizes (integers or quantities); each must be at least one byte. */
const SIZES: ReadonlyArray<PathSegment[]> = [
  ['messages', 'maxBytes'],
  ['messages', 'maxBytesFromBackend'],
  ['messages', 'byteRate', 'perSecond'],
  ['messages', 'byteRate', 'burst'],
];

export function checkSemantics(spec: unknown): Problem[] {
  if (!isObj(spec)) return [];
  const problems: Problem[] = [];
  const report = (at: PathSegment[], reason: string) => problems.push({ field: formatFieldPath(['spec', ...at]), reason });
  checkTemplates(spec, report);
  checkDurations(spec, report);
  checkSizes(spec, report);
  checkHosts(spec, report);
  checkBackend(spec, report);
  checkMatchHeaders(spec, report);
  checkRequestHeaders(spec, report);
  checkLimits(spec, report);
  checkOrigins(spec, report);
  checkAuth(spec, report);
  return problems;
}

type Report = (at: PathSegment[], reason: string) => void;

function checkTemplates(spec: Obj, report: Report): void {
  for (const at of [['match', 'path'], ['backend', 'path']] as const) {
    const value = obj(spec[at[0]])[at[1]];
    if (typeof value !== 'string') continue;
    try {
      parseTemplate(value);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      report([...at], err.message);
    }
  }
}

function checkDurations(spec: Obj, report: Report): void {
  for (const { at, zeroAllowed } of DURATIONS) {
    const value = valueAt(spec, at);
    if (typeof value !== 'string') continue;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      report(at, (err as Error).message);
      continue;
    }
    if (ms === 0 && !zeroAllowed) report(at, 'must be greater than 0');
    // A longer Node.js timer fires after 1ms, which would close every connection at once.
    else if (ms > MAX_TIMER_MS) report(at, `must be at most ${MAX_TIMER_MS}ms (about 24 days), the longest timer Node.js can set`);
  }
}

function valueAt(spec: Obj, at: readonly PathSegment[]): unknown {
  let value: unknown = spec;
  for (const step of at) value = obj(value)[step];
  return value;
}

function checkSizes(spec: Obj, report: Report): void {
  for (const at of SIZES) {
    const value = valueAt(spec, at);
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    try {
      if (parseByteSize(value) < 1) report(at, 'must be at least 1 byte');
    } catch (err) {
      report(at, (err as Error).message);
    }
  }
}

function checkHosts(spec: Obj, report: Report): void {
  list(spec.hosts).forEach((host, i) => {
    if (typeof host === 'string' && !isRouteHost(host)) {
      report(['hosts', i], "must be a DNS name of labels of at most 63 characters, optionally starting with '*.'");
    }
  });
}

function checkBackend(spec: Obj, report: Report): void {
  const backend = obj(spec.backend);
  list(backend.endpoints).forEach((e, i) => {
    const host = obj(e).host;
    if (typeof host === 'string' && !isIPAddress(host) && !isHostname(host)) {
      report(['backend', 'endpoints', i, 'host'], 'must be an IP address or a DNS host name');
    }
  });
  const port = obj(backend.service).port;
  if (typeof port === 'string' && !isPortName(port)) {
    report(
      ['backend', 'service', 'port'],
      "must be a port name: at most 15 lowercase letters, digits and single '-' between them, with at least one letter",
    );
  }
}

function checkMatchHeaders(spec: Obj, report: Report): void {
  const seen = new Map<string, { index: number; name: string }>();
  list(obj(spec.match).headers).forEach((h, i) => {
    const name = obj(h).name;
    if (typeof name !== 'string') return;
    const first = seen.get(name.toLowerCase());
    if (first === undefined) seen.set(name.toLowerCase(), { index: i, name });
    // Exact repeats are the schema's (list-map key) to report; this catches X-A next to x-a.
    else if (first.name !== name) {
      report(['match', 'headers', i, 'name'], `repeats the header of item ${first.index} (header names are case-insensitive)`);
    }
  });
}

function checkRequestHeaders(spec: Obj, report: Report): void {
  const rh = obj(spec.requestHeaders);
  // One header in two places (set and remove, or X-A and x-a in set) has no clear meaning.
  const owner = new Map<string, string>();
  const visit = (at: PathSegment[], name: string) => {
    const lower = name.toLowerCase();
    if (!isHttpToken(name)) return report(at, 'is not a valid HTTP header name');
    const problem = headerProblem(lower);
    if (problem) return report(at, problem);
    const first = owner.get(lower);
    if (first !== undefined) return report(at, `names the same header as ${first} (header names are case-insensitive)`);
    owner.set(lower, formatFieldPath(['spec', ...at]));
  };
  for (const op of ['set', 'add'] as const) {
    if (isObj(rh[op])) for (const name of Object.keys(rh[op])) visit(['requestHeaders', op, name], name);
  }
  list(rh.remove).forEach((name, i) => {
    if (typeof name === 'string') visit(['requestHeaders', 'remove', i], name);
  });
  // Forwarded claims are headers wsgate sets too: they may not fight the rules above.
  const forward = obj(obj(obj(obj(spec.security).auth).jwt).forwardClaims);
  for (const [claim, name] of Object.entries(forward)) {
    if (typeof name === 'string') visit(['security', 'auth', 'jwt', 'forwardClaims', claim], name);
  }
}

/** Why a header may not be named by a header rule, or null. */
function headerProblem(lower: string): string | null {
  if (MANAGED_HEADERS.has(lower)) return 'cannot be changed: wsgate manages this header for the WebSocket handshake and the framing of the request';
  if (WSGATE_SET_HEADERS.has(lower)) return 'cannot be changed: wsgate sets this header itself (X-Forwarded-*, Forwarded, X-Real-IP, X-Request-Id, traceparent, tracestate, X-Forwarded-Client-Cert)';
  return null;
}

function checkAuth(spec: Obj, report: Report): void {
  const auth = obj(obj(spec.security).auth);
  const claims = obj(obj(auth.jwt).requiredClaims);
  for (const name of Object.keys(claims)) {
    if (name === '') report(['security', 'auth', 'jwt', 'requiredClaims', name], 'claim name must not be empty');
  }
  const header = obj(auth.apiKeys).header;
  if (typeof header === 'string') {
    const problem = headerProblem(header.toLowerCase());
    if (problem) report(['security', 'auth', 'apiKeys', 'header'], problem.replace('be changed', 'carry an API key'));
  }
}

function checkLimits(spec: Obj, report: Report): void {
  const { maxConnections, maxConnectionsPerClient } = obj(spec.limits);
  if (typeof maxConnections === 'number' && typeof maxConnectionsPerClient === 'number' && maxConnectionsPerClient > maxConnections) {
    report(['limits', 'maxConnectionsPerClient'], 'must not be greater than maxConnections');
  }
}

function checkOrigins(spec: Obj, report: Report): void {
  list(obj(spec.security).allowedOrigins).forEach((origin, i) => {
    if (typeof origin === 'string' && !isOriginPattern(origin)) {
      report(
        ['security', 'allowedOrigins', i],
        "must be '*' or an origin as browsers send it: scheme://host[:port], lowercase, no path and no default port",
      );
    }
  });
}
