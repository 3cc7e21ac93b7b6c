// PEM certificate bundles (CA bundles of backend TLS): one check shared by WebSocketRoutes'
// backend.tls.caSecretRef and BackendTLSPolicies' caCertificateRefs. Pure: parsing, no I/O.

import { X509Certificate } from 'node:crypto';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Whether `pem` holds at least one certificate and every certificate block in it parses. */
export function caBundleValid(pem: string): boolean {
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) return false;
  try {
    for (const b of blocks) new X509Certificate(b);
    return true;
  } catch {
    return false;
  }
}
