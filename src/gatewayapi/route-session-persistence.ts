// An HTTPRoute rule's sessionPersistence (experimental channel), checked and put in the form the
// compiler maps onto wsgate's stateless affinity. The CRD's rules (Permanent needs
// absoluteTimeout, cookieConfig only with Cookie) are checked again, and so is what the CRD
// leaves open: the name must be one wsgate can read and write as a cookie or header without
// touching what frames or routes the message.

import { DEFAULT_AFFINITY_COOKIE_NAME, DEFAULT_SESSION_HEADER_NAME } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
import { isHttpToken } from '../api/formats.js';
import type { SessionPersistence } from './model.js';
import type { HTTPSessionPersistence } from './types.js';

/** Header names a session header may not take: the proxy writes or reads them for framing, routing or cookies. */
const RESERVED_HEADERS = new Set(['connection', 'content-length', 'cookie', 'host', 'keep-alive', 'set-cookie', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function translateSessionPersistence(p: HTTPSessionPersistence, where: string, problems: string[]): SessionPersistence | undefined {
  const type = p.type ?? 'Cookie';
  if (type !== 'Cookie' && type !== 'Header') {
    problems.push(`${where}.type ${String(type)} is not supported (Cookie and Header are)`);
    return undefined;
  }
  const name = p.sessionName ?? (type === 'Cookie' ? DEFAULT_AFFINITY_COOKIE_NAME : DEFAULT_SESSION_HEADER_NAME);
  if (!isHttpToken(name)) problems.push(`${where}.sessionName ${JSON.stringify(name)} is not a ${type === 'Cookie' ? 'cookie' : 'header'} name`);
  else if (type === 'Header' && (RESERVED_HEADERS.has(name.toLowerCase()) || /^(proxy-|sec-websocket-)/i.test(name))) {
    problems.push(`${where}.sessionName ${name} is a header wsgate reads or writes itself`);
  }
  if (type === 'Header' && p.cookieConfig !== undefined) problems.push(`${where}.cookieConfig can only be set with type Cookie`);
  const lifetime = p.cookieConfig?.lifetimeType ?? 'Session';
  if (lifetime !== 'Session' && lifetime !== 'Permanent') problems.push(`${where}.cookieConfig.lifetimeType ${String(lifetime)} is not supported (Permanent and Session are)`);
  let absoluteTimeoutMs: number | undefined;
  if (p.absoluteTimeout !== undefined) {
    try {
      absoluteTimeoutMs = parseDuration(p.absoluteTimeout);
      // The end is signed into the value in whole seconds.
      if (absoluteTimeoutMs < 1000) problems.push(`${where}.absoluteTimeout ${p.absoluteTimeout} is shorter than 1s`);
    } catch {
      problems.push(`${where}.absoluteTimeout "${p.absoluteTimeout}" is not a duration`);
    }
  } else if (lifetime === 'Permanent') problems.push(`${where}: a Permanent cookie needs absoluteTimeout (its Max-Age)`);
  return { type, name, lifetime: lifetime === 'Permanent' ? 'Permanent' : 'Session', ...(absoluteTimeoutMs !== undefined ? { absoluteTimeoutMs } : {}) };
}
