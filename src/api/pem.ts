// PEM certificate bundles (CA bundles of backend TLS and of client certificates): one check shared by WebSocketRoutes'
// backend.tls.caSecretRef, tls.clientValidation.caSecretRef and BackendTLSPolicies' caCertificateRefs. Pure: parsing, no I/O.

import { X509Certificate } from 'node:crypto';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, or undefined when it holds none or one does not parse. */
export function parseCaBundle(pem: string): X509Certificate[] | undefined {
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) return undefined;
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    return undefined;
  }
}

/** Whether `pem` holds at least one certificate and every certificate block in it parses. */
export function caBundleValid(pem: string): boolean {
  return parseCaBundle(pem) !== undefined;
}
