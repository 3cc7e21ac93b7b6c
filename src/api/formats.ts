// Name and address shapes shared by the semantic checks. Kubernetes' own definitions are used
// where one exists, so standalone files and the cluster agree on what a valid name is.

import { isIP } from 'node:net';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// RFC 9110 token: header names, subprotocol names, cookie names.
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** Object names (metadata.name, Secret names). */
export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** Namespace names. */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isHttpToken(s: string): boolean {
  return HTTP_TOKEN.test(s);
}

// CR and LF end a header line (and NUL ends it for some parsers): in a value they would start a
// header or a response of the writer's choosing. The WebSocketRoute CRD's value pattern is the same.
const HEADER_VALUE_BREAK = /[\r\n\0]/;

/** A header value that stays one value on the wire: no CR, LF or NUL. */
export function isHeaderValue(s: string): boolean {
  return !HEADER_VALUE_BREAK.test(s);
}

/** RFC 1123 host name: dot-separated labels of at most 63 characters, 253 in all. */
export function isHostname(s: string): boolean {
  return s.length <= 253 && s.split('.').every((label) => label.length <= 63 && HOST_LABEL.test(label));
}

export function isIPAddress(s: string): boolean {
  return isIP(s) !== 0;
}

/** A route host: a host name, or `*.` followed by one (the wildcard covers one label). */
export function isRouteHost(s: string): boolean {
  return isHostname(s.startsWith('*.') ? s.slice(2) : s);
}

/**
 * Kubernetes IANA_SVC_NAME (a Service port name): at most 15 lowercase letters, digits and
 * '-', at least one letter, no leading, trailing or doubled '-'.
 */
export function isPortName(s: string): boolean {
  return s.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

/**
 * An allowedOrigins entry: `*`, or an origin `scheme://host[:port]` in the canonical form a
 * browser sends (lowercase, no default port, no path), where the host may start with `*.`.
 */
export function isOriginPattern(s: string): boolean {
  if (s === '*') return true;
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(\*\.)?(.+)$/.exec(s);
  if (!m) return false;
  const candidate = m[1]! + m[3]!;
  try {
    const url = new URL(candidate);
    // Built by hand: URL.origin is "null" for schemes other than http(s), ws(s) and ftp.
    return `${url.protocol}//${url.host}` === candidate && isHostOrIp(url.hostname);
  } catch {
    return false;
  }
}

function isHostOrIp(hostname: string): boolean {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIPAddress(bare) || isHostname(bare);
}
