// Route fields both processors derive the same way from a defaulted WebSocketRoute-shaped spec.

import { DEFAULT_AFFINITY_COOKIE_PATH, DEFAULT_AFFINITY_SAME_SITE, DEFAULT_AFFINITY_SECURE, type DefaultedSpec } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import type { SessionPersistence } from '../gatewayapi/model.js';
import type { CompiledAffinity } from './types.js';

/** spec.sessionAffinity.cookie as the balancer reads it; undefined without affinity. */
export function compileAffinity(spec: DefaultedSpec): CompiledAffinity | undefined {
  const cookie = spec.sessionAffinity?.cookie;
  if (!cookie) return undefined;
  return {
    carrier: 'cookie',
    name: cookie.name,
    path: cookie.path,
    sameSite: cookie.sameSite,
    secure: cookie.secure,
    ...(cookie.maxAge !== undefined ? { maxAgeSeconds: Math.floor(parseDuration(cookie.maxAge) / 1000) } : {}),
  };
}

/**
 * An HTTPRoute rule's sessionPersistence as the balancer reads it: the same stateless affinity,
 * its value in the cookie or header `name`, ending after absoluteTimeout (signed into the value,
 * so every replica enforces it). A Permanent cookie gets that timeout as Max-Age; the cookie's
 * other attributes are the WebSocketRoute defaults.
 */
export function persistenceAffinity(p: SessionPersistence): CompiledAffinity {
  const timeoutSeconds = p.absoluteTimeoutMs === undefined ? undefined : Math.floor(p.absoluteTimeoutMs / 1000);
  return {
    carrier: p.type === 'Header' ? 'header' : 'cookie',
    name: p.name,
    path: DEFAULT_AFFINITY_COOKIE_PATH,
    sameSite: DEFAULT_AFFINITY_SAME_SITE,
    secure: DEFAULT_AFFINITY_SECURE,
    ...(p.type === 'Cookie' && p.lifetime === 'Permanent' && timeoutSeconds !== undefined ? { maxAgeSeconds: timeoutSeconds } : {}),
    ...(timeoutSeconds !== undefined ? { absoluteTimeoutSeconds: timeoutSeconds } : {}),
  };
}
