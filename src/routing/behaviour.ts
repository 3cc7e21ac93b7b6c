// Route fields both processors derive the same way from a defaulted WebSocketRoute-shaped spec.

import type { DefaultedSpec } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import type { CompiledAffinity } from './types.js';

/** spec.sessionAffinity.cookie as the balancer reads it; undefined without affinity. */
export function compileAffinity(spec: DefaultedSpec): CompiledAffinity | undefined {
  const cookie = spec.sessionAffinity?.cookie;
  if (!cookie) return undefined;
  return {
    name: cookie.name,
    path: cookie.path,
    sameSite: cookie.sameSite,
    secure: cookie.secure,
    ...(cookie.maxAge !== undefined ? { maxAgeSeconds: Math.floor(parseDuration(cookie.maxAge) / 1000) } : {}),
  };
}
