// A self-signed certificate for the bench's TLS listeners (capacity scenario): an ECDSA P-256
// key, as most public sites serve, for 127.0.0.1 and localhost, made with the openssl CLI.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface BenchCertificate {
  cert: string;
  key: string;
  /** Certificate then key in one file (HAProxy's `crt`). */
  bundle: string;
  /** The certificate's PEM: the clients trust it as their CA. */
  pem: string;
}

export function makeSelfSignedCertificate(dir: string): BenchCertificate {
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pem = fs.readFileSync(cert, 'utf8');
  const bundle = path.join(dir, 'tls.pem');
  fs.writeFileSync(bundle, pem + fs.readFileSync(key, 'utf8'));
  return { cert, key, bundle, pem };
}
