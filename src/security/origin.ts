// Origin allow-list (cross-site WebSocket hijacking protection). Browsers always send Origin on
// a WebSocket handshake; a page on another site must not ride on the user's cookies. Patterns
// are `*`, an exact origin `https://app.example.com`, or `https://*.example.com` (one or more
// labels before the suffix, same scheme and port).

import { matchesSuffix } from '../api/hostnames.js';

export interface OriginPolicy {
  /** Empty: any origin. */
  readonly allowed: readonly OriginPattern[];
  readonly any: boolean;
  /** A request without Origin (a non-browser client) passes. */
  readonly allowMissing: boolean;
}

interface OriginPattern {
  scheme: string;
  /** Exact host, or the suffix (".example.com") of a wildcard. */
  host: string;
  wildcard: boolean;
  port: string;
}

const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s,]+)$/;

export function compileOriginPolicy(allowedOrigins: readonly string[] | undefined, allowMissingOrigin: boolean | undefined): OriginPolicy {
  const list = allowedOrigins ?? [];
  const any = list.length === 0 || list.includes('*');
  const allowed: OriginPattern[] = [];
  for (const entry of list) {
    if (entry === '*') continue;
    const wildcard = entry.includes('://*.');
    const parsed = parseOrigin(wildcard ? entry.replace('://*.', '://x.') : entry);
    if (!parsed) continue; // validation refused it already
    allowed.push(wildcard ? { ...parsed, host: parsed.host.slice(1), wildcard } : { ...parsed, wildcard });
  }
  return { allowed, any, allowMissing: allowMissingOrigin ?? true };
}

/** The Origin header as sent; several joined values (a, b) never parse and are refused. */
export function originAllowed(policy: OriginPolicy, origin: string | undefined): boolean {
  if (origin === undefined || origin === '') return policy.allowMissing;
  if (policy.any) return true;
  const o = parseOrigin(origin.trim().toLowerCase());
  if (!o) return false;
  return policy.allowed.some(
    (p) => p.scheme === o.scheme && p.port === o.port && (p.wildcard ? matchesSuffix(o.host, p.host) : o.host === p.host),
  );
}

/** scheme://host[:port] with the default port dropped, as browsers serialise it; null if it is not one. */
function parseOrigin(s: string): { scheme: string; host: string; port: string } | null {
  const m = ORIGIN.exec(s);
  if (!m) return null;
  try {
    const url = new URL(s);
    return { scheme: m[1]!, host: url.hostname, port: url.port };
  } catch {
    return null;
  }
}
