// ocelot.json -> WebSocketRoutes, for the routes whose DownstreamScheme is ws or wss.
//
// Ocelot handles a WebSocket request in a short branch of its pipeline: route finding, load
// balancing, URL creation and the proxy (with DangerousAcceptAnyServerCertificateValidator).
// Everything else on a route (authentication, rate limiting, headers, QoS ...) applies only to
// the plain HTTP requests the route also takes. So such a field is "not converted" when the
// route keeps plain HTTP (UpstreamHttpMethod), and only a note when it is WebSocket-only.

import { isDns1123Label, isHostname, isHttpToken, isIPAddress, isRouteHost } from '../../api/formats.js';
import type { HeaderMatch, HttpMethod, Policy, Scheme, StaticEndpoint, WebSocketRouteSpec } from '../../api/types.js';
import { isObj, list, obj, str, type Obj, type ServicePorts } from '../documents.js';
import { fitsTimer, formatMs } from '../durations.js';
import { Findings } from '../findings.js';
import { stripJsonComments } from '../jsonc.js';
import { routeName } from '../names.js';
import { ALL_METHODS, makeRoute, sortMethods } from '../spec.js';
import type { ConvertedRoute, Finding } from '../types.js';
import { checkPrecedence, ocelotPriority, type RankedRoute } from './precedence.js';
import { convertTemplate } from './templates.js';

export interface OcelotOptions {
  namespace: string;
  /** Services found in the other inputs, to pick the port as Ocelot's Kubernetes provider does. */
  services: ServicePorts[];
}

const KUBE_PROVIDERS = new Set(['kube', 'pollkube', 'watchkube', 'kubernetes']);

/** Fields the WebSocket branch of Ocelot's pipeline never reads. */
const PLAIN_HTTP_ONLY: Record<string, string> = {
  AuthenticationOptions: 'wsgate has security.auth.jwt and security.auth.apiKeys',
  RouteClaimsRequirement: 'wsgate has security.auth.jwt.requiredClaims',
  AddHeadersToRequest: 'wsgate has security.auth.jwt.forwardClaims and requestHeaders',
  AddClaimsToRequest: 'wsgate has security.auth.jwt.forwardClaims',
  AddQueriesToRequest: 'wsgate does not rewrite the query',
  UpstreamHeaderTransform: 'wsgate has requestHeaders',
  DownstreamHeaderTransform: 'wsgate does not change response headers',
  RateLimitOptions: 'wsgate has limits.upgradesPerSecondPerClient and maxConnectionsPerClient',
  QoSOptions: 'wsgate has timeouts.connect and passive health checks',
  DelegatingHandlers: 'wsgate has no plug-in handlers',
  FileCacheOptions: 'wsgate does not cache',
  CacheOptions: 'wsgate does not cache',
  RequestIdKey: 'wsgate always sets X-Request-Id',
  HttpHandlerOptions: 'wsgate pools its own connections',
  SecurityOptions: 'wsgate has no client address filter',
  Timeout: 'wsgate has timeouts.connect and timeouts.idle',
  DownstreamHttpVersion: 'wsgate speaks HTTP/1.1 to backends',
  DownstreamHttpVersionPolicy: 'wsgate speaks HTTP/1.1 to backends',
  DownstreamHttpMethod: 'wsgate forwards the method as sent',
  Metadata: 'wsgate has no route metadata',
};

export function convertOcelot(text: string, source: string, opts: OcelotOptions): { routes: ConvertedRoute[]; findings: Finding[]; error?: string } {
  let root: unknown;
  try {
    root = JSON.parse(stripJsonComments(text));
  } catch (err) {
    return { routes: [], findings: [], error: `${source}: not JSON: ${(err as Error).message}` };
  }
  if (!isObj(root)) return { routes: [], findings: [], error: `${source}: not an ocelot.json object` };
  const key = Array.isArray(root.Routes) ? 'Routes' : 'ReRoutes';
  const global = obj(root.GlobalConfiguration);
  const top = new Findings(source, 'ocelot.json');
  if (Array.isArray(root.Routes) && Array.isArray(root.ReRoutes)) top.unconverted('ReRoutes', 'ignored: Ocelot 16 and later read Routes only');
  for (const k of ['Aggregates', 'DynamicRoutes']) {
    if (meaningful(root[k])) top.note(k, 'plain HTTP features of Ocelot: not WebSocket routes');
  }

  const routes: ConvertedRoute[] = [];
  const ranked: RankedRoute[] = [];
  // One Findings per route, kept in order: the precedence check adds to them afterwards.
  const perRoute: Findings[] = [];
  let anyPlainHttp = false;
  list(root[key]).forEach((raw, index) => {
    const f = new Findings(source, `${key}[${index}]`);
    perRoute.push(f);
    const out = convertRoute(obj(raw), index, key, source, global, opts, f);
    if (!out) return;
    routes.push(out.route);
    anyPlainHttp ||= out.route.route.spec.http !== undefined;
    ranked.push({ ...out.rank, findings: f });
  });
  checkPrecedence(ranked);
  reportGlobal(global, top, anyPlainHttp);
  return { routes, findings: [...top.list, ...perRoute.flatMap((f) => f.list)] };
}

function convertRoute(
  r: Obj,
  index: number,
  key: string,
  source: string,
  global: Obj,
  opts: OcelotOptions,
  f: Findings,
): { route: ConvertedRoute; rank: Omit<RankedRoute, 'findings'> } | undefined {
  const used = new Set<string>();
  const take = (k: string): unknown => {
    used.add(k);
    return r[k];
  };
  const scheme = (str(take('DownstreamScheme')) ?? str(global.DownstreamScheme) ?? '').toLowerCase();
  if (scheme !== 'ws' && scheme !== 'wss') {
    f.note('DownstreamScheme', `${scheme || '(unset)'}: not a WebSocket route (only ws and wss routes are converted)`);
    return undefined;
  }
  const up = str(take('UpstreamPathTemplate'));
  if (up === undefined) {
    f.unconverted('UpstreamPathTemplate', 'missing');
    return undefined;
  }
  const upc = convertTemplate(up);
  if (upc.template === undefined) {
    f.unconverted('UpstreamPathTemplate', upc.problem ?? 'not convertible');
    return undefined;
  }
  const down = str(take('DownstreamPathTemplate'));
  if (down === undefined) {
    f.unconverted('DownstreamPathTemplate', 'missing (Ocelot requires it)');
    return undefined;
  }
  const dc = convertTemplate(down, upc.renamed, true);
  if (dc.template === undefined) {
    f.unconverted('DownstreamPathTemplate', dc.problem ?? 'not convertible');
    return undefined;
  }
  if (up.endsWith('/') && up !== '/' && !down.endsWith('/')) {
    // src/routing/template.ts rewriteTarget keeps a trailing slash the client sent.
    f.note('DownstreamPathTemplate', `a request for ${up} reaches the backend as ${down}/: wsgate keeps the trailing slash the client sent, Ocelot sent ${down}`);
  }
  for (const [from, to] of upc.renamed) if (from !== to) f.note('UpstreamPathTemplate', `placeholder {${from}} is {${to}}: wsgate placeholder names are letters, digits and _`);

  const caseSensitive = take('RouteIsCaseSensitive') === true;
  if (!caseSensitive && /[A-Za-z]/.test(upc.template.replace(/\{[^}]*\}/g, ''))) {
    f.note('RouteIsCaseSensitive', 'false (the default): Ocelot matched this template in any letter case; wsgate matches it case-sensitively');
  }
  const priority = ocelotPriority(up, take('Priority'));
  const host = upstreamHost(str(take('UpstreamHost')), f);
  if (host === null) return undefined;
  const headers = headerMatches(take('UpstreamHeaderTemplates'), f);
  if (headers === null) return undefined;

  const fieldComments: Record<string, string> = {};
  const backend = convertBackend(take, scheme, global, opts, f, fieldComments);
  if (!backend) return undefined;
  const lb = convertLoadBalancer(obj(take('LoadBalancerOptions')), str(take('LoadBalancer')), global, backend, f, fieldComments);
  const methods = convertMethods(take('UpstreamHttpMethod'), f);
  if (methods) fieldComments['spec.http'] = 'From UpstreamHttpMethod: Ocelot proxied these methods as plain HTTP on this route too (SignalR negotiate and long polling need them)';

  const tls = take('DangerousAcceptAnyServerCertificateValidator') === true;
  if (tls && scheme === 'wss') {
    f.warning(
      'DangerousAcceptAnyServerCertificateValidator',
      'true -> backend.tls.insecureSkipVerify: true. wsgate will accept ANY certificate from this backend: anyone on the path to it can read and change the traffic. Use backend.tls.caSecretRef instead',
    );
    fieldComments['spec.backend.tls.insecureSkipVerify'] = "WARNING: accepts any backend certificate (Ocelot's DangerousAcceptAnyServerCertificateValidator); use caSecretRef";
  } else if (tls) {
    f.note('DangerousAcceptAnyServerCertificateValidator', 'ignored: the backend is ws (no TLS)');
  }
  take('Key');
  take('UseServiceDiscovery');
  reportRest(r, used, methods !== undefined, f);

  const nameKey = str(r.Key);
  const name = nameKey ? routeName(['ocelot', nameKey]) : routeName(['ocelot', index, up.replace(/[{}]/g, '')]);
  const spec: WebSocketRouteSpec = {
    ...(host ? { hosts: [host] } : {}),
    match: { path: upc.template, ...(headers.length > 0 ? { headers } : {}) },
    backend: {
      ...backend.backend,
      scheme,
      ...(tls && scheme === 'wss' ? { tls: { insecureSkipVerify: true } } : {}),
      ...(dc.template !== upc.template ? { path: dc.template } : {}),
    },
    ...(lb.policy ? { loadBalancer: { policy: lb.policy } } : {}),
    ...(methods ? { http: { methods } } : {}),
    ...(lb.affinity ? { sessionAffinity: lb.affinity } : {}),
  };
  const where = backend.backend.service
    ? `service ${backend.namespace}/${backend.backend.service.name} port ${backend.backend.service.port}`
    : backend.backend.endpoints!.map((e) => `${e.host}:${e.port}`).join(', ');
  const route: ConvertedRoute = {
    route: makeRoute(name, backend.namespace, spec),
    source,
    object: `${key}[${index}]`,
    origin: `${source}: ${key}[${index}] ${host ?? ''}${up} -> ${scheme} ${where}, path ${down}`,
    fieldComments,
  };
  return {
    route,
    rank: { index, label: `${key}[${index}]`, priority, host, template: upc.template, headerCount: headers.length, key: `${backend.namespace}/${name}`, caseSensitive },
  };
}

function upstreamHost(v: string | undefined, f: Findings): string | undefined | null {
  if (!v) return undefined;
  let host = v.toLowerCase();
  const m = /^(.*):(\d+)$/.exec(host);
  if (m) {
    host = m[1]!;
    f.note('UpstreamHost', `port ${m[2]} dropped: wsgate matches the host name only`);
  }
  if (!isRouteHost(host)) {
    f.unconverted('UpstreamHost', `"${v}" is not a host name wsgate accepts`);
    return null;
  }
  return host;
}

function headerMatches(v: unknown, f: Findings): HeaderMatch[] | null {
  const out: HeaderMatch[] = [];
  for (const [name, value] of Object.entries(obj(v))) {
    if (typeof value !== 'string' || value.includes('{') || !isHttpToken(name)) {
      f.unconverted(`UpstreamHeaderTemplates.${name}`, 'only fixed header values (no placeholders) map to match.headers');
      return null;
    }
    out.push({ name: name.toLowerCase(), value });
  }
  return out;
}

interface Backend {
  backend: Pick<WebSocketRouteSpec['backend'], 'service' | 'endpoints'>;
  namespace: string;
}

function convertBackend(
  take: (k: string) => unknown,
  scheme: Scheme,
  global: Obj,
  opts: OcelotOptions,
  f: Findings,
  comments: Record<string, string>,
): Backend | undefined {
  const serviceName = str(take('ServiceName'));
  const serviceNamespace = str(take('ServiceNamespace'));
  const hostsAndPorts = list(take('DownstreamHostAndPorts')).map(obj);
  if (serviceName) {
    const provider = obj(global.ServiceDiscoveryProvider);
    const type = str(provider.Type) ?? '';
    if (!KUBE_PROVIDERS.has(type.toLowerCase())) {
      f.unconverted('ServiceName', `service discovery through ${type || 'an unset provider (Consul by default)'} has no wsgate equivalent; list the hosts as DownstreamHostAndPorts (static endpoints) or use a Kubernetes Service`);
      return undefined;
    }
    const rawNs = serviceNamespace ?? str(provider.Namespace) ?? opts.namespace;
    const namespace = rawNs.toLowerCase();
    if (!isDns1123Label(namespace)) {
      f.unconverted(serviceNamespace ? 'ServiceNamespace' : 'GlobalConfiguration.ServiceDiscoveryProvider.Namespace', `"${rawNs}" is not a namespace name`);
      return undefined;
    }
    const name = serviceName.toLowerCase();
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      f.unconverted('ServiceName', `"${serviceName}" is not a Service name`);
      return undefined;
    }
    if (hostsAndPorts.length > 0) f.note('DownstreamHostAndPorts', 'ignored: with ServiceName, Ocelot takes the endpoints from service discovery');
    const port = pickPort(opts.services.find((s) => s.namespace === namespace && s.name === name), scheme, f, comments);
    return { backend: { service: { name, port } }, namespace };
  }
  if (hostsAndPorts.length === 0) {
    f.unconverted('DownstreamHostAndPorts', 'no hosts and no ServiceName: nowhere to send the connections');
    return undefined;
  }
  const endpoints: StaticEndpoint[] = [];
  for (const [i, hp] of hostsAndPorts.entries()) {
    const host = str(hp.Host);
    const port = hp.Port;
    if (!host || !(isIPAddress(host) || isHostname(host)) || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      f.unconverted(`DownstreamHostAndPorts[${i}]`, `${JSON.stringify(hp)} is not a host and port`);
      continue;
    }
    if (!endpoints.some((e) => e.host === host && e.port === port)) endpoints.push({ host, port });
  }
  if (endpoints.length === 0) return undefined;
  return { backend: { endpoints }, namespace: opts.namespace };
}

/**
 * Ocelot's Kubernetes provider takes, from each endpoint subset, the port whose name equals the
 * route's DownstreamScheme, else the first port. A Service port in wsgate is one port, so the
 * same rule picks it: from the Service when an input has it, else by the scheme's name.
 */
function pickPort(service: ServicePorts | undefined, scheme: Scheme, f: Findings, comments: Record<string, string>): number | string {
  if (service && service.ports.length > 0) {
    const chosen = service.ports.find((p) => p.name?.toLowerCase() === scheme) ?? service.ports[0]!;
    f.note('ServiceName', `port ${chosen.name ?? chosen.port} of Service ${service.namespace}/${service.name}, as Ocelot chooses: the port named "${scheme}", else the first`);
    return chosen.name ?? chosen.port;
  }
  f.note('ServiceName', `port "${scheme}": Ocelot used the Service port named "${scheme}", else the first one; if the Service has no port named "${scheme}", set backend.service.port to its first port (or pass the Service's YAML to wsgate convert as well)`);
  comments['spec.backend.service.port'] = `Ocelot's rule: the port named "${scheme}", else the Service's first port`;
  return scheme;
}

function convertLoadBalancer(
  options: Obj,
  legacy: string | undefined,
  global: Obj,
  backend: Backend,
  f: Findings,
  comments: Record<string, string>,
): { policy?: Policy; affinity?: WebSocketRouteSpec['sessionAffinity'] } {
  const lbo = Object.keys(options).length > 0 ? options : obj(global.LoadBalancerOptions);
  const fromGlobal = Object.keys(options).length === 0 && legacy === undefined && Object.keys(lbo).length > 0;
  const field = legacy !== undefined && Object.keys(options).length === 0 ? 'LoadBalancer' : fromGlobal ? 'GlobalConfiguration.LoadBalancerOptions.Type' : 'LoadBalancerOptions.Type';
  const type = str(lbo.Type) || legacy || '';
  const endpoints = backend.backend.endpoints;
  switch (type.toLowerCase()) {
    case '':
    case 'noloadbalancer':
      if (endpoints && endpoints.length > 1) {
        // Ocelot's NoLoadBalancer (the default) sends everything to the first host.
        f.note(field, `${type || 'unset'} (NoLoadBalancer): Ocelot sent every connection to the first host; only ${endpoints[0]!.host}:${endpoints[0]!.port} is kept. Add the others back to balance across them`);
        endpoints.splice(1);
      } else if (backend.backend.service) {
        f.note(field, `${type || 'unset'} (NoLoadBalancer): Ocelot sent every connection to the Service's first endpoint; wsgate balances across all of them (LeastConnections)`);
      }
      return {};
    case 'leastconnection':
      return { policy: 'LeastConnections' };
    case 'roundrobin':
      return { policy: 'RoundRobin' };
    case 'cookiestickysessions': {
      const key = str(lbo.Key);
      const expiry = lbo.Expiry;
      const cookie: Record<string, string> = {};
      if (typeof expiry === 'number' && fitsTimer(expiry)) cookie.maxAge = formatMs(expiry);
      else if (expiry !== undefined) f.unconverted('LoadBalancerOptions.Expiry', `${JSON.stringify(expiry)} is not a positive number of milliseconds`);
      f.note(
        field,
        `CookieStickySessions kept a client on one host by the value of the application's own cookie ${key ? `"${key}"` : '(Key)'}; wsgate sets a cookie of its own (wsgate-affinity, not named ${key ?? 'Key'}, which would overwrite the application's). Expiry becomes the cookie's maxAge. The first connection is balanced round robin, as in Ocelot`,
      );
      comments['spec.sessionAffinity'] = `Ocelot's CookieStickySessions keyed on the application cookie ${key ?? '(Key)'}; wsgate sets its own cookie`;
      return { policy: 'RoundRobin', affinity: { cookie } };
    }
    default:
      f.unconverted(field, `"${type}" is a custom load balancer; wsgate has LeastConnections, RoundRobin, PowerOfTwoChoices and ConsistentHash`);
      return {};
  }
}

function convertMethods(v: unknown, f: Findings): HttpMethod[] | undefined {
  const raw = list(v).filter((m): m is string => typeof m === 'string');
  if (raw.length === 0) {
    if (v !== undefined) f.note('UpstreamHttpMethod', 'empty (any method): only the upgrade is converted; add spec.http if plain requests use this route');
    return undefined;
  }
  const methods: HttpMethod[] = [];
  for (const m of raw) {
    const up = m.toUpperCase();
    if ((ALL_METHODS as string[]).includes(up)) methods.push(up as HttpMethod);
    else f.unconverted('UpstreamHttpMethod', `${m}: wsgate proxies ${ALL_METHODS.join(', ')} only`);
  }
  if (!methods.includes('GET')) f.warning('UpstreamHttpMethod', 'has no GET, the method of every WebSocket upgrade: Ocelot refused upgrades on this route; wsgate accepts them');
  return methods.length > 0 ? sortMethods(methods) : undefined;
}

function reportRest(r: Obj, used: Set<string>, plainHttp: boolean, f: Findings): void {
  for (const k of Object.keys(r).sort()) {
    if (used.has(k) || !meaningful(r[k])) continue;
    const hint = PLAIN_HTTP_ONLY[k];
    if (hint === undefined) f.unconverted(k, 'no wsgate equivalent');
    else if (plainHttp) f.unconverted(k, `applied to the plain HTTP requests of this route; ${hint}`);
    else f.note(k, `ignored: Ocelot does not apply it to WebSocket requests either; ${hint}`);
  }
}

function reportGlobal(global: Obj, f: Findings, plainHttp: boolean): void {
  const used = new Set(['BaseUrl', 'ServiceDiscoveryProvider', 'LoadBalancerOptions', 'DownstreamScheme']);
  for (const k of Object.keys(global).sort()) {
    if (used.has(k) || !meaningful(global[k])) continue;
    const hint = PLAIN_HTTP_ONLY[k] ?? 'no wsgate equivalent';
    if (plainHttp) f.unconverted(`GlobalConfiguration.${k}`, `applied to the plain HTTP requests of the routes; ${hint}`);
    else f.note(`GlobalConfiguration.${k}`, `ignored: Ocelot does not apply it to WebSocket requests; ${hint}`);
  }
}

/** Ocelot files list every option with its default; only values that do something count. */
export function meaningful(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.some(meaningful);
  if (isObj(v)) return Object.values(v).some(meaningful);
  return true;
}
