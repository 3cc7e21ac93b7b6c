// backend-protocol HTTPS (or NGINX Inc.'s ssl-services) -> scheme wss, and proxy-ssl-* ->
// backend.tls. ingress-nginx does not verify the backend certificate unless
// proxy-ssl-verify is on; wsgate always verifies unless told otherwise, so the difference is
// reported rather than copied (copying would mean insecureSkipVerify on every HTTPS backend).

import { isDns1123Subdomain, isHostname } from '../../api/formats.js';
import type { BackendTls, Scheme } from '../../api/types.js';
import type { Findings } from '../findings.js';
import { NGINX, isTrue, splitList, type Annotations } from './annotations.js';

export interface BackendProtocol {
  scheme?: Scheme;
  tls?: BackendTls;
  /** Set when the backend speaks something that is not WebSocket over HTTP(S). */
  notWebSocket?: string;
}

/** Reads the Ingress-wide annotations once; `forService` gives the result for one backend. */
export function backendProtocol(a: Annotations, f: Findings, namespace: string): (service: string) => BackendProtocol {
  const protocol = a.get('backend-protocol')?.toUpperCase();
  const sslServices = new Set(splitList(a.org('ssl-services')));
  const verify = a.get('proxy-ssl-verify');
  const secret = a.get('proxy-ssl-secret');
  const name = a.get('proxy-ssl-name');
  const serverName = a.get('proxy-ssl-server-name');
  const unsupported = ['proxy-ssl-protocols', 'proxy-ssl-ciphers', 'proxy-ssl-verify-depth'].filter((n) => a.get(n) !== undefined);
  // The same for every path of the Ingress: computed (and reported) once.
  let cached: { tls: BackendTls | undefined } | undefined;
  const tlsFor = (): BackendTls | undefined => {
    cached ??= { tls: backendTls() };
    return cached.tls;
  };
  const backendTls = (): BackendTls | undefined => {
    const tls: BackendTls = {};
    if (!isTrue(verify)) {
      f.warning(
        NGINX + 'proxy-ssl-verify',
        `${verify === undefined ? 'unset (off)' : `"${verify}"`}: ingress-nginx did not verify the backend certificate; wsgate does (system CAs, or backend.tls.caSecretRef). Set backend.tls.insecureSkipVerify: true only if the backend's certificate cannot be verified`,
      );
    } else if (secret !== undefined) {
      const [ns, sec] = secret.includes('/') ? secret.split('/', 2) : [namespace, secret];
      if (ns !== namespace) f.unconverted(NGINX + 'proxy-ssl-secret', `"${secret}" is in another namespace; wsgate reads Secrets in the route's namespace (${namespace}) only`);
      else if (!isDns1123Subdomain(sec ?? '')) f.unconverted(NGINX + 'proxy-ssl-secret', `"${secret}" is not a Secret name`);
      else tls.caSecretRef = { name: sec!, key: 'ca.crt' };
    }
    if (secret !== undefined) {
      f.unconverted(NGINX + 'proxy-ssl-secret', 'its tls.crt/tls.key (a client certificate for the backend), if any, is not presented: wsgate has no backend client certificates');
    }
    if (name !== undefined) {
      if (isHostname(name)) tls.serverName = name.toLowerCase();
      else f.unconverted(NGINX + 'proxy-ssl-name', `"${name}" is not a host name (nginx variables have no equivalent)`);
    }
    if (serverName !== undefined) {
      f.note(NGINX + 'proxy-ssl-server-name', 'wsgate always sends SNI: backend.tls.serverName, else the endpoint host when it is a name');
    }
    for (const n of unsupported) f.unconverted(NGINX + n, 'wsgate uses TLS 1.2 or later with Node.js defaults; protocols, ciphers and depth are not configurable');
    return Object.keys(tls).length > 0 ? tls : undefined;
  };

  return (service) => {
    if (protocol !== undefined && protocol !== 'HTTP' && protocol !== 'HTTPS') {
      return { notWebSocket: `backend-protocol ${protocol} is not HTTP or HTTPS: no WebSocket backend` };
    }
    if (protocol === 'HTTPS' || sslServices.has(service)) {
      const tls = tlsFor();
      return tls ? { scheme: 'wss', tls } : { scheme: 'wss' };
    }
    return {};
  };
}

/** proxy-ssl-* on a plain backend did nothing; said once, after all paths were seen. */
export function reportIdleTls(a: Annotations, f: Findings, anyWss: boolean): void {
  if (anyWss) return;
  for (const n of ['proxy-ssl-verify', 'proxy-ssl-secret', 'proxy-ssl-name', 'proxy-ssl-server-name']) {
    if (a.has(n)) f.note(NGINX + n, 'ignored: the backend is not HTTPS (backend-protocol)');
  }
}
