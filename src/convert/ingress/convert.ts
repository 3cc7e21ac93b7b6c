// One networking.k8s.io/v1 Ingress -> one WebSocketRoute per host, path and backend.

import { isRouteHost } from '../../api/formats.js';
import type { WebSocketRouteSpec } from '../../api/types.js';
import { list, obj, str, type KubeObject, type Obj } from '../documents.js';
import { fitsTimer, formatMs, parseNginxTime } from '../durations.js';
import { Findings } from '../findings.js';
import { routeName } from '../names.js';
import { ALL_METHODS, makeRoute } from '../spec.js';
import type { ConvertedRoute, Finding } from '../types.js';
import { Annotations, NGINX, NGINX_ORG, UNMAPPED_REASONS, isTrue, splitList } from './annotations.js';
import { backendProtocol, reportIdleTls } from './backend-tls.js';
import { convertBalancing } from './balancing.js';
import { ingressClassName } from './ingress-class.js';
import { REST, convertPath, type PathConversion } from './paths.js';
import { checkSnippets } from './snippets.js';

const INGRESS_API = 'networking.k8s.io/v1';

const HTTP_COMMENT =
  'An Ingress serves plain HTTP on its paths as well as WebSocket upgrades, so plain requests are proxied too; remove spec.http if this path only takes WebSockets';

interface Target {
  field: string;
  host: string | undefined;
  path: string;
  pathType: string;
  backend: Obj;
  describe: string;
  nameParts: Array<string | number>;
  isDefault: boolean;
}

export function convertIngress(o: KubeObject, source: string, defaultNamespace: string): { routes: ConvertedRoute[]; findings: Finding[] } {
  const namespace = o.namespace ?? defaultNamespace;
  const f = new Findings(source, `Ingress ${namespace}/${o.name}`);
  if (o.apiVersion !== INGRESS_API) {
    f.unconverted('apiVersion', `${o.apiVersion} is not ${INGRESS_API}; convert it first (kubectl convert, or re-read it from the cluster, which serves v1)`);
    return { routes: [], findings: f.list };
  }
  const metadata = obj(o.body.metadata);
  const spec = obj(o.body.spec);
  const a = new Annotations(obj(metadata.annotations) as Record<string, string>);
  const className = ingressClassName(spec, obj(metadata.annotations), f);

  const rewriteTarget = a.get('rewrite-target');
  const regex = isTrue(a.get('use-regex')) || rewriteTarget !== undefined;
  const timeouts = convertTimeouts(a, f);
  const limits = convertLimits(a, f);
  const aliases = splitList(a.get('server-alias')).map((h) => h.toLowerCase());
  const wsServicesText = a.org('websocket-services');
  const wsServices = wsServicesText === undefined ? undefined : new Set(splitList(wsServicesText));
  const protocolFor = backendProtocol(a, f, namespace);
  const balancing = convertBalancing(a, f, undefined);
  const explicitCookiePath = a.has('session-cookie-path');
  if (balancing.sessionAffinity && regex && !explicitCookiePath) {
    f.note(NGINX + 'session-cookie-path', 'unset with regex paths (ingress-nginx requires it then); the cookie path is "/"');
  }
  checkSnippets(a, f);
  const tlsByHost = tlsHosts(spec, f);
  checkRedirects(a, f, tlsByHost.size > 0);

  const targets = collectTargets(o.name, spec, f);
  const routes: ConvertedRoute[] = [];
  let anyWss = false;
  for (const t of targets) {
    const service = obj(t.backend.service);
    if (t.backend.resource !== undefined) {
      f.unconverted(`${t.field}.backend.resource`, 'resource backends have no WebSocket equivalent');
      continue;
    }
    const serviceName = str(service.name);
    const port = obj(service.port).number ?? obj(service.port).name;
    if (serviceName === undefined || (typeof port !== 'number' && typeof port !== 'string')) {
      f.unconverted(`${t.field}.backend.service`, 'needs a name and a port (number or name)');
      continue;
    }
    if (wsServices && !wsServices.has(serviceName)) {
      f.note(`${t.field}.backend`, `service ${serviceName} is not in ${NGINX_ORG}websocket-services: NGINX served it as plain HTTP only, so it is not a WebSocket route`);
      continue;
    }
    const proto = protocolFor(serviceName);
    if (proto.notWebSocket) {
      f.unconverted(`${t.field}.backend`, proto.notWebSocket);
      continue;
    }
    const pc: PathConversion = t.isDefault ? { match: `/{${REST}}`, notes: [] } : convertPath(t.path, t.pathType, regex, rewriteTarget);
    for (const n of pc.notes) f.note(`${t.field}.path`, n);
    if (pc.match === undefined) {
      f.unconverted(`${t.field}.path`, pc.problem ?? 'not convertible');
      continue;
    }
    if (t.isDefault && targets.some((o) => !o.isDefault && o.host === t.host && !regex && o.pathType !== 'Exact' && /^\/*$/.test(o.path))) {
      // A rule already takes "/" for this host: the default backend is unreachable there.
      continue;
    }
    const hosts = t.host ? [t.host, ...aliases.filter((h) => h !== t.host)] : [];
    const badHost = hosts.find((h) => !isRouteHost(h));
    if (badHost) {
      f.unconverted(`${t.field}.host`, `"${badHost}" is not a host name wsgate accepts`);
      continue;
    }
    anyWss ||= proto.scheme === 'wss';
    const secret = t.host ? tlsByHost.get(t.host) : undefined;
    const affinity = balancing.sessionAffinity && withCookiePath(balancing.sessionAffinity, explicitCookiePath || regex || t.isDefault ? undefined : t.path);
    const routeSpec: WebSocketRouteSpec = {
      ...(className ? { className } : {}),
      ...(hosts.length > 0 ? { hosts } : {}),
      ...(secret ? { tls: { secretRef: { name: secret } } } : {}),
      match: { path: pc.match },
      backend: {
        service: { name: serviceName, port },
        ...(proto.scheme ? { scheme: proto.scheme } : {}),
        ...(proto.tls ? { tls: proto.tls } : {}),
        ...(pc.backendPath !== undefined ? { path: pc.backendPath } : {}),
      },
      ...(balancing.loadBalancer ? { loadBalancer: balancing.loadBalancer } : {}),
      ...(timeouts ? { timeouts } : {}),
      ...(limits ? { limits } : {}),
      http: { methods: [...ALL_METHODS] },
      ...(affinity ? { sessionAffinity: affinity } : {}),
    };
    routes.push({
      route: makeRoute(routeName(t.nameParts), namespace, routeSpec),
      source,
      object: `Ingress ${namespace}/${o.name}`,
      origin: `${source}: Ingress ${namespace}/${o.name} ${t.describe} -> service ${serviceName}:${port}`,
      fieldComments: { 'spec.http': HTTP_COMMENT },
    });
  }
  reportIdleTls(a, f, anyWss);
  for (const { key, value } of a.unused()) {
    const reason = UNMAPPED_REASONS.find((r) => r.match.test(key))?.reason ?? 'no wsgate equivalent';
    f.unconverted(key, `"${oneLine(value)}": ${reason}`);
  }
  return { routes, findings: f.list };
}

function collectTargets(ingress: string, spec: Obj, f: Findings): Target[] {
  const targets: Target[] = [];
  const ruleHosts: Array<string | undefined> = [];
  list(spec.rules).forEach((r, i) => {
    const rule = obj(r);
    const host = str(rule.host)?.toLowerCase() || undefined;
    if (!ruleHosts.includes(host)) ruleHosts.push(host);
    const paths = list(obj(rule.http).paths);
    if (paths.length === 0 && !spec.defaultBackend) f.note(`spec.rules[${i}]`, 'no http paths: nothing to route');
    paths.forEach((p, j) => {
      const path = obj(p);
      const pathText = str(path.path) ?? '/';
      const pathType = str(path.pathType) ?? 'ImplementationSpecific';
      targets.push({
        field: `spec.rules[${i}].http.paths[${j}]`,
        host,
        path: pathText,
        pathType,
        backend: obj(path.backend),
        describe: `rules[${i}] host ${host ?? '(any)'} paths[${j}] ${pathType} ${pathText}`,
        nameParts: [ingress, host ?? '', j],
        isDefault: false,
      });
    });
  });
  if (spec.defaultBackend !== undefined) {
    // ingress-nginx sends what no path of a rule's host matches to the Ingress's defaultBackend,
    // and with no rules at all, every request: the catch-all /{rest} has the lowest precedence.
    for (const host of ruleHosts.length > 0 ? ruleHosts : [undefined]) {
      targets.push({
        field: 'spec.defaultBackend',
        host,
        path: '/',
        pathType: 'Prefix',
        backend: obj(spec.defaultBackend),
        describe: `defaultBackend host ${host ?? '(any)'}`,
        nameParts: [ingress, host ?? '', 'default'],
        isDefault: true,
      });
    }
  }
  return targets;
}

function tlsHosts(spec: Obj, f: Findings): Map<string, string> {
  const byHost = new Map<string, string>();
  list(spec.tls).forEach((t, i) => {
    const entry = obj(t);
    const secret = str(entry.secretName);
    const hosts = list(entry.hosts).filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase());
    if (!secret) {
      f.note(`spec.tls[${i}]`, 'no secretName: ingress-nginx used its default certificate; wsgate uses --tls-default-secret (controller) or --tls-cert (standalone) the same way');
      return;
    }
    if (hosts.length === 0) {
      f.unconverted(`spec.tls[${i}].hosts`, 'a certificate without hosts cannot be tied to a route (wsgate picks certificates by the route hosts); use it as --tls-default-secret');
    }
    for (const h of hosts) if (!byHost.has(h)) byHost.set(h, secret);
  });
  return byHost;
}

function checkRedirects(a: Annotations, f: Findings, hasTls: boolean): void {
  const ssl = a.get('ssl-redirect');
  const force = a.get('force-ssl-redirect');
  const reason = UNMAPPED_REASONS.find((r) => r.match.test('ssl-redirect'))!.reason;
  if (isTrue(force)) f.unconverted(NGINX + 'force-ssl-redirect', reason);
  if (isTrue(ssl)) f.unconverted(NGINX + 'ssl-redirect', reason);
  else if (ssl === undefined && hasTls) {
    f.note('spec.tls', `ingress-nginx redirected plain HTTP to HTTPS on TLS hosts by default (ssl-redirect); ${reason}`);
  }
}

function convertTimeouts(a: Annotations, f: Findings): WebSocketRouteSpec['timeouts'] {
  const read = readTime(a, f, 'proxy-read-timeout');
  const send = readTime(a, f, 'proxy-send-timeout');
  const connect = readTime(a, f, 'proxy-connect-timeout');
  const out: NonNullable<WebSocketRouteSpec['timeouts']> = {};
  if (connect !== undefined) out.connect = formatMs(connect.ms);
  if (read || send) {
    // nginx times each direction on its own (60 s each by default); wsgate closes a connection
    // when no frame went either way. The larger of the two keeps every connection nginx kept.
    const ms = Math.max(read?.ms ?? 60_000, send?.ms ?? 60_000);
    out.idle = formatMs(ms);
    f.note((read ?? send)!.field, `timeouts.idle ${out.idle} is the larger of proxy-read-timeout and proxy-send-timeout (an unset one counts as nginx's 60s): nginx closed a connection when one direction was quiet that long, wsgate when both are`);
  } else {
    f.note(NGINX + 'proxy-read-timeout', "unset: ingress-nginx closed WebSockets quiet for 60s (its default, unless its ConfigMap changed it); wsgate's default idle timeout is 1h");
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function readTime(a: Annotations, f: Findings, name: string): { ms: number; field: string } | undefined {
  const ing = a.get(name);
  const org = a.org(name);
  const value = ing ?? org;
  const field = (ing !== undefined ? NGINX : NGINX_ORG) + name;
  if (value === undefined) return undefined;
  const ms = parseNginxTime(value);
  if (ms === undefined || !fitsTimer(ms)) {
    f.unconverted(field, `"${value}" is not a time wsgate can use (seconds, or nginx units such as 90s, 1h, up to about 24 days)`);
    return undefined;
  }
  return { ms, field };
}

function convertLimits(a: Annotations, f: Findings): WebSocketRouteSpec['limits'] {
  const v = a.get('limit-connections');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    f.unconverted(NGINX + 'limit-connections', `"${v}" is not a positive number`);
    return undefined;
  }
  f.note(NGINX + 'limit-connections', 'limits.maxConnectionsPerClient counts one client address on this route; above it wsgate answers 429 (nginx 503)');
  return { maxConnectionsPerClient: Number(v) };
}

function withCookiePath(affinity: NonNullable<WebSocketRouteSpec['sessionAffinity']>, ingressPath: string | undefined): NonNullable<WebSocketRouteSpec['sessionAffinity']> {
  // nginx's default cookie path is the location's path, which is the Ingress path.
  const path = ingressPath?.replace(/\/+$/, '');
  if (!path || affinity.cookie.path !== undefined || !/^\/[^;\s]*$/.test(path)) return affinity;
  const { name, maxAge, ...rest } = affinity.cookie;
  return { cookie: { ...(name ? { name } : {}), ...(maxAge ? { maxAge } : {}), path, ...rest } };
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? flat.slice(0, 117) + '...' : flat;
}
