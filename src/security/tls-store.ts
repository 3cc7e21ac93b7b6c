// Server certificates for the TLS listener. Compiling a route turns its kubernetes.io/tls Secret
// into a SecureContext (cached by content, so an unchanged certificate is not parsed again on
// every table compile). src/proxy/sni-index.ts picks them by SNI name per table.

import { createHash } from 'node:crypto';
import tls from 'node:tls';

import { MIN_TLS_VERSION } from '../api/defaults.js';

export { MIN_TLS_VERSION };

const contexts = new Map<string, tls.SecureContext>();
const MAX_CACHED = 1024;

/** A SecureContext for a certificate chain and key (PEM); throws when they do not parse or match. */
export function serverContext(cert: Buffer | string, key: Buffer | string): tls.SecureContext {
  const id = createHash('sha256').update(cert).update('\u0000').update(key).digest('hex');
  const cached = contexts.get(id);
  if (cached) return cached;
  const ctx = tls.createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION });
  if (contexts.size >= MAX_CACHED) contexts.delete(contexts.keys().next().value!);
  contexts.set(id, ctx);
  return ctx;
}

/** Checks a kubernetes.io/tls Secret's data and builds its context; the message names no key bytes. */
export function contextFromSecret(data: Readonly<Record<string, Buffer>>): { ok: true; context: tls.SecureContext } | { ok: false; message: string } {
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (!cert || !key) return { ok: false, message: 'a TLS Secret needs the keys tls.crt and tls.key' };
  try {
    return { ok: true, context: serverContext(cert, key) };
  } catch (err) {
    return { ok: false, message: `tls.crt/tls.key cannot be used: ${(err as Error).message.replace(/\n/g, ' ')}` };
  }
}
