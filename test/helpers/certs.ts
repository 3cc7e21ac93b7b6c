// Test certificates made with the openssl CLI at test time (node:crypto cannot issue X.509):
// a throwaway CA and leaf certificates it signs, with the SANs a test needs.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './wsgate-child.js';

export interface TestCa {
  dir: string;
  cert: string;
  key: string;
  /** Issues a leaf certificate for `names` (DNS names, IP addresses, or `URI:...`); returns PEM strings. */
  issue(commonName: string, names: string[], usage?: 'serverAuth' | 'clientAuth' | 'serverAuth,clientAuth'): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key for `openssl req -newkey`: P-256 by default; RSA where a test needs RSA's behaviour. */
function newKey(alg: 'ec' | 'rsa'): string[] {
  return alg === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
}

export function makeCa(name = 'wsgate test CA', alg: 'ec' | 'rsa' = 'ec'): TestCa {
  const dir = tempDir('wsgate-certs-');
  openssl(['req', '-x509', ...newKey(alg), '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${name}`], dir);
  let serial = 0;
  return {
    dir,
    cert: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
    key: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8'),
    issue(commonName, names, usage = 'serverAuth') {
      const id = `leaf${++serial}`;
      const san = names.map((n) => (n.startsWith('URI:') ? n : /^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      // RSA leaves carry no authority key id, as Go's crypto/x509 (the conformance suite's) makes
      // them: a verifier then tries every CA of that subject name by signature.
      const akid = alg === 'rsa' ? 'authorityKeyIdentifier=none\n' : '';
      fs.writeFileSync(path.join(dir, `${id}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n${akid}`);
      openssl(['req', ...newKey(alg), '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${commonName}`], dir);
      openssl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(1000 + serial), '-out', `${id}.crt`, '-days', '2', '-extfile', `${id}.ext`], dir);
      return { cert: fs.readFileSync(path.join(dir, `${id}.crt`), 'utf8'), key: fs.readFileSync(path.join(dir, `${id}.key`), 'utf8') };
    },
  };
}

/** Writes a Secret the way --secrets-dir reads it: DIR/<namespace>/<name>/<key>. */
export function writeSecret(dir: string, namespace: string, name: string, data: Record<string, string | Buffer>): void {
  const secretDir = path.join(dir, namespace, name);
  fs.mkdirSync(secretDir, { recursive: true });
  for (const [k, v] of Object.entries(data)) fs.writeFileSync(path.join(secretDir, k), v);
}

/** A directory laid out as the snapshot stream reads it (ca.crt, tls.crt, tls.key), for a leaf of `ca`. */
export function streamTlsDir(ca: TestCa, leaf: { cert: string; key: string }): string {
  const dir = tempDir('wsgate-stream-tls-');
  fs.writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
  fs.writeFileSync(path.join(dir, 'tls.crt'), leaf.cert);
  fs.writeFileSync(path.join(dir, 'tls.key'), leaf.key);
  return dir;
}
