// The HTTPRoute processor: the translator's GatewayRouteEntry[] (src/gatewayapi, already in
// the spec's precedence order, statuses already computed there) in, CompiledRoutes with
// `kind: 'HTTPRoute'` out, in the same order. One of compile.ts's processors.
//
// Paths as templates (template.ts, path-trie.ts): `PathPrefix /a` (and `/a/`: a trailing slash
// is ignored) is the literals of the prefix and a catch-all, which takes zero or more segments:
// /a, /a/, /a/b, never /ab; `PathPrefix /` is a catch-all alone and takes every path. `Exact /a`
// is the literals with `exact: 'bare'`: /a only, not /a/; `Exact /a/` and `Exact /` require
// the trailing slash (`exact: 'slash'`). The catch-all is named PREFIX_REST, so a lookup's
// params carry what follows the prefix (for ReplacePrefixMatch).
//
// Reuse (incremental compile): an entry is recompiled from scratch unless its entry object and
// its socket are the ones of the last compile. Then its match fields keep their objects (so the
// table's lookup index can be shared), its security is kept while its Secrets answer the same,
// and the whole CompiledRoute is kept when every backend resolves as before. The translator
// builds new entry objects on each run, so this pays off when the controller recompiles for an
// EndpointSlice or Secret change with the same translate() output.

import { compileMessages } from './compile-messages.js';
import type { HttpMethod, Scheme, WebSocketRouteSpec } from '../api/types.js';
import type { DefaultedSpec } from '../api/defaults.js';
import { MAX_TIMER_MS } from '../api/duration.js';
import type { GatewayRouteEntry, PathMatch, RequestMirror, ServiceBackend } from '../gatewayapi/model.js';
import type tls from 'node:tls';

import { compileRouteSecurity, type SecurityCompileResult } from '../security/compile-security.js';
import { refusedBackendTls, verifiedBackendTls } from './backend-verification.js';
import { MIN_TLS_VERSION } from '../security/tls-store.js';
import { compileAffinity, persistenceAffinity } from './behaviour.js';
import { compileCors } from './cors.js';
import { gatewayPortId, type GatewayCompileInput, type GatewayRouting, type MirrorTarget, type WeightedBackend } from './gateway-types.js';
import { rank, signatures } from './precedence.js';
import { recordingResolver, sameResolution, secretsUnchanged, type SecretLookup } from './reuse.js';
import { canonicalEncoding, type ParsedTemplate, type TemplateSegment } from './template.js';
import type { BackendResolution, CompiledRoute, Endpoint, SecretResolver, ServiceResolver } from './types.js';

/** A certificate wsgate presents to TLS backends, PEM. */
interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
}

/** Name of the catch-all of a PathPrefix template: the rest of the path after the prefix. */
const PREFIX_REST = 'prefixRest';

/** HTTPRoute entries proxy every method the translator accepts (it drops rules with others). */
export const HTTPROUTE_METHODS: readonly HttpMethod[] = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** One entry as a compile left it. */
export interface GatewayEntryResult {
  readonly entry: GatewayRouteEntry;
  /** The socket key it is served on. */
  readonly socket: string;
  /** One per entry.backends element (undefined for invalid ones), then one per RequestMirror. */
  readonly resolutions: ReadonlyArray<BackendResolution | undefined>;
  readonly security: SecurityCompileResult;
  /** The Gateway's backend client certificate (tls.crt, tls.key), when it has one that resolves. */
  readonly clientCertificate: ClientCertificate | undefined;
  readonly secretLookups: readonly SecretLookup[] | null;
  readonly route: CompiledRoute;
  readonly rank: readonly number[];
  readonly signatures: ReadonlyArray<{ host: string; sig: string }>;
  readonly created: string;
}

export interface HTTPRouteResult {
  /** Entries that have a socket, in translate's (precedence) order. */
  readonly compiled: readonly GatewayEntryResult[];
  /** Entry key -> result: what the next compile may reuse. */
  readonly cache: ReadonlyMap<string, GatewayEntryResult>;
}

/**
 * Entries whose listener has no socket in `gateway.socketOf` are not served (the controller
 * maps every listener it serves; a listener it does not serve has nothing to route).
 */
export function processHTTPRoutes(
  gateway: GatewayCompileInput,
  resolveService: ServiceResolver | undefined,
  resolveSecret: SecretResolver | undefined,
  previous: ReadonlyMap<string, GatewayEntryResult> | undefined,
): HTTPRouteResult {
  const compiled: GatewayEntryResult[] = [];
  const cache = new Map<string, GatewayEntryResult>();
  for (const entry of gateway.entries) {
    const l = entry.listener;
    const socket = gateway.socketOf[gatewayPortId(l.gatewayNamespace, l.gatewayName, l.port)];
    if (socket === undefined || cache.has(entry.key)) continue;
    const prev = previous?.get(entry.key);
    const result = compileEntry(entry, socket, resolveService, resolveSecret, prev && prev.entry === entry && prev.socket === socket ? prev : undefined);
    compiled.push(result);
    cache.set(entry.key, result);
  }
  return { compiled, cache };
}

function compileEntry(
  entry: GatewayRouteEntry,
  socket: string,
  resolveService: ServiceResolver | undefined,
  resolveSecret: SecretResolver | undefined,
  same: GatewayEntryResult | undefined,
): GatewayEntryResult {
  // The backendRefs', then the mirrors' (RequestMirror) resolutions, in one list.
  const fresh = [
    ...entry.backends.map((b) => (b.valid ? resolve(b, resolveService) : undefined)),
    ...(entry.filters.mirrors ?? []).map((m) => resolve(m.backend, resolveService)),
  ];
  const resolutions = same ? fresh.map((r, i) => keepSame(same.resolutions[i], r)) : fresh;
  const spec = same ? same.route.spec : behaviourSpec(entry);
  let security: SecurityCompileResult;
  let clientCertificate: ClientCertificate | undefined;
  let secretLookups: readonly SecretLookup[] | null;
  if (same && secretsUnchanged(same.secretLookups, resolveSecret)) {
    ({ security, clientCertificate, secretLookups } = same);
  } else {
    const recorder = recordingResolver(resolveSecret);
    security = compileRouteSecurity(spec as DefaultedSpec, entry.websocket.secretNamespace, recorder.resolve);
    clientCertificate = resolveClientCertificate(entry.backendClientCertificate, recorder.resolve);
    secretLookups = recorder.lookups;
  }
  if (same && same.security === security && resolutions.every((r, i) => r === same.resolutions[i])) return same;
  const route = buildRoute(entry, socket, spec as DefaultedSpec, resolutions, security, clientCertificate, same?.route);
  return {
    entry,
    socket,
    resolutions,
    security,
    clientCertificate,
    secretLookups,
    route,
    rank: same ? same.rank : rank(route),
    signatures: same ? same.signatures : signatures(route),
    created: entry.source.creationTimestamp,
  };
}

function keepSame(prev: BackendResolution | undefined, next: BackendResolution | undefined): BackendResolution | undefined {
  return prev !== undefined && next !== undefined && sameResolution(prev, next) ? prev : next;
}

function resolve(b: ServiceBackend, resolveService: ServiceResolver | undefined): BackendResolution {
  if (!resolveService) {
    return { ok: false, reason: 'BackendNotSupported', message: 'HTTPRoute backends need the Kubernetes controller' };
  }
  return resolveService(b.namespace, { name: b.name, port: b.port });
}

/**
 * A WebSocketRoute-shaped spec for code that reads route.spec: the entry's defaulted behaviour
 * (translator: the same defaults as a WebSocketRoute's, no policy = idle 1h), its match, and its
 * first valid backend.
 */
function behaviourSpec(entry: GatewayRouteEntry): WebSocketRouteSpec {
  const first = firstService(entry);
  return {
    ...entry.websocket.spec,
    ...(entry.hostnames.length ? { hosts: [...entry.hostnames] } : {}),
    match: { path: entry.path.value, ...(entry.headers.length ? { headers: entry.headers.map((h) => ({ ...h })) } : {}) },
    backend: {
      ...(first ? { service: { name: first.name, port: first.port } } : {}),
      scheme: first?.scheme ?? 'ws',
      path: entry.path.value,
    },
    http: { methods: [...HTTPROUTE_METHODS] },
  };
}

function firstService(entry: GatewayRouteEntry): ServiceBackend | undefined {
  return entry.backends.find((b): b is ServiceBackend => b.valid);
}

function buildRoute(
  entry: GatewayRouteEntry,
  socket: string,
  spec: DefaultedSpec,
  resolutions: ReadonlyArray<BackendResolution | undefined>,
  security: SecurityCompileResult,
  clientCertificate: ClientCertificate | undefined,
  prev: CompiledRoute | undefined,
): CompiledRoute {
  const ws = entry.websocket;
  const scheme: Scheme = spec.backend.scheme;
  const backends: WeightedBackend[] = entry.backends.map((b, i) => {
    const r = resolutions[i];
    const modifiers = b.valid
      ? { ...(b.requestHeaders ? { requestHeaders: b.requestHeaders } : {}), ...(b.responseHeaders ? { responseHeaders: b.responseHeaders } : {}) }
      : {};
    // A refused BackendTLSPolicy (no usable CA): its share of requests is answered 500, as an
    // invalid backendRef's, before any connection is tried.
    if (!b.valid || !r?.ok || b.tls?.refused !== undefined) return { weight: b.weight, ...modifiers };
    const tls = b.scheme === 'wss' ? backendTls(b, clientCertificate) : undefined;
    const endpoints = r.endpoints;
    return {
      weight: b.weight,
      target: { scheme: b.scheme, endpoints, eligible: endpoints.filter((e) => e.ready), ...(tls ? { tls } : {}), ...(b.protocol ? { protocol: b.protocol } : {}) },
      ...modifiers,
    };
  });
  // The union of the resolved backends' endpoints: what health, drain, metrics and the table
  // diff look at; the weighted choice among backends reads `gateway.backends`.
  const union = new Map<string, Endpoint>();
  for (const b of backends) for (const e of b.target?.endpoints ?? []) if (!union.has(e.id)) union.set(e.id, e);
  const endpoints = [...union.values()];
  const f = entry.filters;
  const matchValue = canonicalEncoding(entry.path.value);
  const gateway: GatewayRouting = {
    routeKey: entry.routeKey,
    ruleKey: entry.ruleKey,
    // In the form request paths have when they are matched (request-target.ts), so URLRewrite
    // and redirects find the prefix in them.
    pathMatch: matchValue === entry.path.value ? entry.path : { ...entry.path, value: matchValue },
    backends,
    ...(f.requestHeaders ? { requestHeaders: f.requestHeaders } : {}),
    ...(f.responseHeaders ? { responseHeaders: f.responseHeaders } : {}),
    ...(f.urlRewrite ? { urlRewrite: f.urlRewrite } : {}),
    ...(f.redirect ? { redirect: f.redirect } : {}),
    ...(f.cors ? { cors: compileCors(f.cors) } : {}),
    ...(f.mirrors ? { mirrors: compileMirrors(f.mirrors, resolutions.slice(entry.backends.length), clientCertificate) } : {}),
    ...(entry.timeouts.requestMs !== undefined ? { requestTimeoutMs: entry.timeouts.requestMs } : {}),
    ...(entry.timeouts.backendRequestMs !== undefined ? { backendRequestTimeoutMs: entry.timeouts.backendRequestMs } : {}),
    ...(entry.retry ? { retry: entry.retry } : {}),
    // The port clients use can differ from the socket's (shared mode: wsgate's Service maps
    // 80 to the pod's 8080), and a redirect keeps the port the client used.
    listenerPort: entry.listener.port,
  };
  const path = prev ? prev.path : pathTemplate(entry.path);
  // A rule's sessionPersistence is the more specific setting: it replaces a policy's sessionAffinity.
  const affinity = entry.sessionPersistence ? persistenceAffinity(entry.sessionPersistence) : compileAffinity(spec);
  const first = firstService(entry);
  const tls = scheme === 'wss' ? backendTls(first, clientCertificate) : undefined;
  return Object.freeze({
    key: entry.key,
    kind: 'HTTPRoute' as const,
    listener: socket,
    listenerHostname: entry.listener.hostname ?? '',
    namespace: entry.source.namespace,
    name: entry.source.name,
    generation: entry.source.generation,
    hosts: prev ? prev.hosts : [...new Set(entry.hostnames)].sort(),
    path,
    subprotocols: prev ? prev.subprotocols : [],
    headers: prev ? prev.headers : entry.headers.map((h) => ({ name: h.name.toLowerCase(), value: h.value })),
    ...(entry.queryParams.length > 0 ? { queryParams: prev?.queryParams ?? entry.queryParams.map((q) => ({ ...q })) } : {}),
    ...(entry.method !== undefined ? { method: entry.method } : {}),
    gateway,
    backend: {
      scheme,
      // The identity rewrite: rewriteTarget(path, params) gives back the request path.
      path,
      endpoints,
      eligible: endpoints.filter((e) => e.ready),
      ...(tls ? { tls } : {}),
    },
    security: security.security,
    policy: ws.policy,
    hashOn: ws.hashOn,
    timeouts: {
      connectMs: ws.timeoutsMs.connect,
      idleMs: ws.timeoutsMs.idle,
      // The rule's backendRequest is the Gateway API's bound on one request to a backend; the
      // upgrade request is one, so a non-zero one wins over the policy's (or the default) upgrade.
      // Its format allows more than a Node.js timer holds (which would then fire at once).
      upgradeMs: entry.timeouts.backendRequestMs !== undefined && entry.timeouts.backendRequestMs > 0 ? Math.min(entry.timeouts.backendRequestMs, MAX_TIMER_MS) : ws.timeoutsMs.upgrade,
      maxLifetimeMs: ws.timeoutsMs.maxLifetime,
    },
    drainTimeoutMs: ws.drainTimeoutMs,
    http: { methods: HTTPROUTE_METHODS },
    ...(affinity ? { affinity } : {}),
    ...compileMessages(ws.spec as Pick<DefaultedSpec, 'messages' | 'keepalive'>),
    spec,
  });
}

/** RequestMirror targets: a mirror whose Service has no endpoints (or did not resolve) copies nothing. */
function compileMirrors(mirrors: readonly RequestMirror[], resolutions: ReadonlyArray<BackendResolution | undefined>, clientCertificate: ClientCertificate | undefined): MirrorTarget[] {
  return mirrors.map((m, i) => {
    const r = resolutions[i];
    if (!r?.ok || m.backend.tls?.refused !== undefined) return { percent: m.percent };
    const tls = m.backend.scheme === 'wss' ? backendTls(m.backend, clientCertificate) : undefined;
    const protocol = m.backend.protocol ? { protocol: m.backend.protocol } : {};
    return { percent: m.percent, target: { scheme: m.backend.scheme, endpoints: r.endpoints, eligible: r.endpoints.filter((e) => e.ready), ...(tls ? { tls } : {}), ...protocol } };
  });
}

/**
 * TLS options for a wss backend: as its BackendTLSPolicy says (CA bundle or system CAs, the
 * policy's hostname as SNI, its hostname or subjectAltNames as the names to accept); without
 * one (appProtocol kubernetes.io/wss or https), verified against the system CAs, as a
 * WebSocketRoute's without backend.tls. A refused policy fails every handshake.
 */
function backendTls(b: ServiceBackend | undefined, clientCertificate: ClientCertificate | undefined): tls.ConnectionOptions {
  const v = b?.tls;
  if (v?.refused !== undefined) return refusedBackendTls(v.refused);
  const presented = clientCertificate ? { cert: clientCertificate.cert, key: clientCertificate.key } : {};
  if (v) return { ...verifiedBackendTls({ serverName: v.hostname, ...(v.caCertificates !== undefined ? { ca: v.caCertificates } : {}), subjectAltNames: v.subjectAltNames }), ...presented };
  return { minVersion: MIN_TLS_VERSION, ALPNProtocols: ['http/1.1'], ...presented };
}

/**
 * The Gateway's backend client certificate from its Secret (the translator checked that it parses;
 * a Secret changed since into something else presents nothing, and a backend that requires one
 * refuses the handshake).
 */
function resolveClientCertificate(ref: GatewayRouteEntry['backendClientCertificate'], resolveSecret: SecretResolver | undefined): ClientCertificate | undefined {
  if (!ref || !resolveSecret) return undefined;
  const r = resolveSecret(ref.namespace, ref.name);
  const cert = r.ok ? r.data['tls.crt'] : undefined;
  const key = r.ok ? r.data['tls.key'] : undefined;
  return cert && key ? { cert: cert.toString('utf8'), key: key.toString('utf8') } : undefined;
}

/** The template a Gateway API path match is in the routing table (see the file comment). */
function pathTemplate(match: PathMatch): ParsedTemplate {
  const value = match.value;
  const literals: TemplateSegment[] = value
    .slice(1)
    .split('/')
    .filter((part, i, all) => part !== '' || i < all.length - 1)
    .map((part) => ({ kind: 'literal', value: canonicalEncoding(part) }));
  if (match.type === 'PathPrefix') {
    return { source: value, segments: [...literals, { kind: 'rest', name: PREFIX_REST }], placeholders: [PREFIX_REST] };
  }
  return { source: value, segments: literals, placeholders: [], exact: value.endsWith('/') ? 'slash' : 'bare' };
}
