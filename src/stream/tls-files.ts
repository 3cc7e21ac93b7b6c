// The stream's certificates: one directory with ca.crt, tls.crt and tls.key, the layout of a
// kubernetes.io/tls Secret with a CA (what Helm's genSignedCert and cert-manager both produce).
// A proxy reads them again before every connection attempt, so rotated files are picked up; the
// controller watches them (control-plane.ts) and serves new streams with a changed pair, without
// a restart.

import fs from 'node:fs';
import path from 'node:path';
import type tls from 'node:tls';

export interface StreamTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** The files of --snapshot-tls-dir. */
export const STREAM_TLS_FILES = ['ca.crt', 'tls.crt', 'tls.key'] as const;

export function readStreamTls(dir: string): StreamTls {
  const read = (name: (typeof STREAM_TLS_FILES)[number]) => fs.readFileSync(path.join(dir, name));
  return { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}

/** The DNS names of a peer certificate's subjectAltName (IP addresses as "IP:..." are not names). */
export function dnsNames(cert: tls.PeerCertificate | undefined): string[] {
  const san = cert?.subjectaltname;
  if (!san) return [];
  return san
    .split(', ')
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4));
}
