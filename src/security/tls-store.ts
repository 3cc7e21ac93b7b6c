// Server certificates for the TLS listener. Compiling a route turns its kubernetes.io/tls Secret
// into a SecureContext (cached by content, so an unchanged certificate is not parsed again on
// every table compile). src/proxy/sni-index.ts picks them by SNI name per table.

import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';

import { MIN_TLS_VERSION } from '../api/defaults.js';

export { MIN_TLS_VERSION };

const contexts = new Map<string, ServerCertificate>();

/** A usable server certificate: its context and when its leaf certificate expires. */
export interface ServerCertificate {
  context: tls.SecureContext;
  /** notAfter of the first certificate of the chain (the leaf), in seconds since the epoch. */
  notAfter: number;
}
const MAX_CACHED = 1024;

/**
 * A SecureContext for a certificate chain and key (PEM); throws when they do not parse or match.
 * With `clientCa` (client certificate validation) the context trusts exactly that bundle for
 * client certificates: Node copies an SNI context's CA store into the handshake, and a context
 * made without `ca` would trust the system roots instead.
 */
export function serverContext(cert: Buffer | string, key: Buffer | string, clientCa?: string): ServerCertificate {
  const id = createHash('sha256').update(cert).update('\u0000').update(key).update('\u0000').update(clientCa ?? '').digest('hex');
  const cached = contexts.get(id);
  if (cached) return cached;
  const context = tls.createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION, ...(clientCa !== undefined ? { ca: clientCa } : {}) });
  // X509Certificate reads the first PEM block of the chain: the leaf, the one that expires first for clients.
  const server = { context, notAfter: Math.floor(new X509Certificate(cert).validToDate.getTime() / 1000) };
  if (contexts.size >= MAX_CACHED) contexts.delete(contexts.keys().next().value!);
  contexts.set(id, server);
  return server;
}

/** Checks a kubernetes.io/tls Secret's data and builds its context; the message names no key bytes. */
export function contextFromSecret(data: Readonly<Record<string, Buffer>>, clientCa?: string): ({ ok: true } & ServerCertificate) | { ok: false; message: string } {
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (!cert || !key) return { ok: false, message: 'a TLS Secret needs the keys tls.crt and tls.key' };
  try {
    return { ok: true, ...serverContext(cert, key, clientCa) };
  } catch (err) {
    return { ok: false, message: `tls.crt/tls.key cannot be used: ${(err as Error).message.replace(/\n/g, ' ')}` };
  }
}
