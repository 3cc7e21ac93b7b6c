// Balancing annotations: affinity: cookie -> sessionAffinity, upstream-hash-by ->
// ConsistentHash, load-balance (and NGINX Inc.'s lb-method) -> policy.

import { isHttpToken } from '../../api/formats.js';
import type { AffinityCookie, HashOn, Policy, SameSite, WebSocketRouteSpec } from '../../api/types.js';
import { formatMs, fitsTimer } from '../durations.js';
import type { Findings } from '../findings.js';
import { NGINX, NGINX_ORG, type Annotations } from './annotations.js';

export interface Balancing {
  loadBalancer?: NonNullable<WebSocketRouteSpec['loadBalancer']>;
  sessionAffinity?: NonNullable<WebSocketRouteSpec['sessionAffinity']>;
}

/** nginx variables a request is hashed on, as wsgate's hashOn. */
export function hashOn(variable: string): HashOn | undefined {
  const v = variable.trim().replace(/^"|"$/g, '');
  if (v === '$remote_addr' || v === '$binary_remote_addr') return { sourceIP: true };
  const m = /^\$(http|cookie|arg)_([A-Za-z0-9_-]+)$/.exec(v);
  if (!m) return undefined;
  // nginx spells request header X-User-Id as $http_x_user_id; cookie and argument names are literal.
  if (m[1] === 'http') return { header: m[2]!.toLowerCase().replace(/_/g, '-') };
  if (m[1] === 'cookie') return isHttpToken(m[2]!) ? { cookie: m[2]! } : undefined;
  return { query: m[2]! };
}

const SAME_SITE: Record<string, SameSite> = { strict: 'Strict', lax: 'Lax', none: 'None' };

/** `cookiePath`: the path nginx would put on the cookie by default (the location's). */
export function convertBalancing(a: Annotations, f: Findings, cookiePath: string | undefined): Balancing {
  const out: Balancing = {};
  const policy = convertPolicy(a, f);
  const affinity = convertAffinity(a, f, cookiePath);
  const hash = convertHash(a, f);
  if (affinity) out.sessionAffinity = affinity;
  if (hash && affinity) {
    // ingress-nginx's balancer picks the sticky cookie balancer before chash when both are set.
    f.note(
      NGINX + 'upstream-hash-by',
      'dropped: a WebSocketRoute cannot have both (a CEL rule forbids sessionAffinity with policy ConsistentHash); sessionAffinity is kept, as ingress-nginx gave affinity: cookie precedence over upstream-hash-by',
    );
  } else if (hash) {
    if (policy) f.note(policy.field, 'dropped: upstream-hash-by decides the endpoint (policy ConsistentHash), in ingress-nginx too');
    out.loadBalancer = { policy: 'ConsistentHash', hashOn: hash };
    return out;
  }
  if (policy) out.loadBalancer = { policy: policy.policy };
  return out;
}

function convertPolicy(a: Annotations, f: Findings): { policy: Policy; field: string } | undefined {
  const lb = a.get('load-balance');
  if (lb !== undefined) {
    const field = NGINX + 'load-balance';
    switch (lb) {
      case 'round_robin':
        return { policy: 'RoundRobin', field };
      case 'least_conn':
        return { policy: 'LeastConnections', field };
      case 'ewma':
        f.note(field, 'ewma -> PowerOfTwoChoices: both pick the better of two random endpoints, ingress-nginx by response-time average, wsgate by open connections');
        return { policy: 'PowerOfTwoChoices', field };
      default:
        f.unconverted(field, `"${lb}" has no wsgate policy (LeastConnections, RoundRobin, PowerOfTwoChoices, ConsistentHash)`);
        return undefined;
    }
  }
  const method = a.org('lb-method');
  if (method === undefined) return undefined;
  const field = NGINX_ORG + 'lb-method';
  if (method === 'round_robin') return { policy: 'RoundRobin', field };
  if (method === 'least_conn') return { policy: 'LeastConnections', field };
  if (/^random two( least_conn)?$/.test(method)) return { policy: 'PowerOfTwoChoices', field };
  // ip_hash and "hash ..." are handled with the other hash keys (convertHash).
  if (method === 'ip_hash' || method.startsWith('hash ')) return undefined;
  f.unconverted(field, `"${method}" has no wsgate policy (LeastConnections, RoundRobin, PowerOfTwoChoices, ConsistentHash)`);
  return undefined;
}

function convertHash(a: Annotations, f: Findings): HashOn | undefined {
  const by = a.get('upstream-hash-by');
  if (a.get('upstream-hash-by-subset') !== undefined) {
    f.unconverted(NGINX + 'upstream-hash-by-subset', 'wsgate hashes onto all endpoints; it has no subsets');
  }
  a.get('upstream-hash-by-subset-size');
  if (by !== undefined) {
    const key = hashOn(by);
    if (!key) {
      f.unconverted(NGINX + 'upstream-hash-by', `"${by}" is not one of $http_<header>, $cookie_<name>, $arg_<name>, $remote_addr, $binary_remote_addr`);
      return undefined;
    }
    f.note(NGINX + 'upstream-hash-by', 'wsgate uses its own hash ring: each key lands on some endpoint again, not necessarily the one nginx chose');
    return key;
  }
  const method = a.org('lb-method');
  if (method === 'ip_hash') return { sourceIP: true };
  const m = /^hash\s+(\S+)(\s+consistent)?$/.exec(method ?? '');
  if (!m) return undefined;
  const key = hashOn(m[1]!);
  if (!key) f.unconverted(NGINX_ORG + 'lb-method', `hash key "${m[1]}" is not one of $http_<header>, $cookie_<name>, $arg_<name>, $remote_addr`);
  return key;
}

function convertAffinity(a: Annotations, f: Findings, cookiePath: string | undefined): Balancing['sessionAffinity'] {
  const affinity = a.get('affinity');
  const names = ['session-cookie-name', 'session-cookie-max-age', 'session-cookie-expires', 'session-cookie-path', 'session-cookie-samesite', 'session-cookie-secure', 'affinity-mode'];
  if (affinity === undefined) {
    // Cookie settings without affinity did nothing in nginx either; say so rather than drop them.
    for (const n of names) if (a.get(n) !== undefined) f.note(NGINX + n, 'ignored: affinity is not set to cookie');
    return undefined;
  }
  if (affinity !== 'cookie') {
    f.unconverted(NGINX + 'affinity', `"${affinity}": only cookie affinity exists`);
    return undefined;
  }
  // Named explicitly: wsgate's default name (wsgate-affinity) differs from nginx's.
  const cookie: AffinityCookie = { name: a.get('session-cookie-name') ?? 'INGRESSCOOKIE' };
  if (!isHttpToken(cookie.name!)) {
    f.unconverted(NGINX + 'session-cookie-name', `"${cookie.name}" is not a valid cookie name; wsgate's default is used`);
    delete cookie.name;
  }
  f.note(NGINX + 'affinity', "wsgate signs its own cookie values, so a cookie nginx set is not recognised: each client is balanced once more, then sticks");
  const maxAge = a.get('session-cookie-max-age');
  const expires = a.get('session-cookie-expires');
  // nginx sets both Max-Age and Expires; browsers honour Max-Age first.
  const seconds = maxAge ?? expires;
  const secondsField = NGINX + (maxAge !== undefined ? 'session-cookie-max-age' : 'session-cookie-expires');
  if (seconds !== undefined) {
    if (/^\d+$/.test(seconds) && fitsTimer(Number(seconds) * 1000)) cookie.maxAge = formatMs(Number(seconds) * 1000);
    else f.unconverted(secondsField, `"${seconds}" is not a positive number of seconds wsgate can hold; the cookie is a session cookie`);
  }
  const path = a.get('session-cookie-path') ?? cookiePath;
  if (path !== undefined && path !== '/') {
    if (/^\/[^;\s]*$/.test(path)) cookie.path = path;
    else f.unconverted(NGINX + 'session-cookie-path', `"${path}" is not a cookie path; "/" is used`);
  }
  const sameSite = a.get('session-cookie-samesite');
  if (sameSite !== undefined) {
    const v = SAME_SITE[sameSite.toLowerCase()];
    if (v) cookie.sameSite = v;
    else f.unconverted(NGINX + 'session-cookie-samesite', `"${sameSite}" is not Strict, Lax or None; wsgate's default Lax is used`);
  }
  const secure = a.get('session-cookie-secure');
  if (secure !== undefined) {
    const v = secure.toLowerCase();
    if (v === 'true' || v === 'false') cookie.secure = v;
    else f.unconverted(NGINX + 'session-cookie-secure', `"${secure}" is not "true" or "false"; wsgate's default auto is used`);
  }
  if (cookie.sameSite === 'None' && cookie.secure === 'false') {
    f.warning(NGINX + 'session-cookie-secure', 'dropped: SameSite None needs a Secure cookie (browsers refuse it otherwise, and a CEL rule forbids it); wsgate uses auto');
    delete cookie.secure;
  }
  const mode = a.get('affinity-mode');
  if (mode !== undefined && mode !== 'balanced' && mode !== 'persistent') f.unconverted(NGINX + 'affinity-mode', `"${mode}" is not balanced or persistent`);
  else if (mode !== undefined) {
    f.note(NGINX + 'affinity-mode', 'wsgate keeps a client on its endpoint while that endpoint is ready (as persistent), and rebalancing never moves cookie-affine clients');
  }
  return { cookie };
}
