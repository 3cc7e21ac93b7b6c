// TLS options toward a backend verified the way a BackendTLSPolicy says (GEP-1897): the CA
// bundle (or the system CAs), `serverName` as SNI, and as the identity the certificate must
// carry unless `subjectAltNames` are given, in which case one of them must match (Hostname: a
// DNS name, as tls.checkServerIdentity matches it; URI: a URI SAN, compared exactly). Pure.

import tls from 'node:tls';
import { MIN_TLS_VERSION } from '../security/tls-store.js';

export interface SubjectAltName {
  readonly type: 'Hostname' | 'URI';
  readonly value: string;
}

export interface BackendVerification {
  readonly serverName: string;
  /** PEM bundle; absent: the system CAs. */
  readonly ca?: string;
  readonly subjectAltNames: readonly SubjectAltName[];
}

/**
 * The identity check of each options object, as a string: the agent pools (proxy/agents.ts) key
 * connections by it, so two routes with different SAN lists never share a verified connection.
 */
const identityKeys = new WeakMap<object, string>();

export function identityCheckKey(check: unknown): string {
  return (typeof check === 'function' && identityKeys.get(check)) || '';
}

/** Entries of a certificate's subjectaltname ("DNS:a, URI:spiffe://b, IP Address:1.2.3.4") of one type. */
function sanEntries(cert: tls.PeerCertificate, prefix: 'DNS:' | 'URI:'): string[] {
  return (cert.subjectaltname ?? '')
    .split(', ')
    .filter((e) => e.startsWith(prefix))
    .map((e) => e.slice(prefix.length).replace(/^"(.*)"$/, '$1'));
}

function sanMatches(san: SubjectAltName, cert: tls.PeerCertificate): boolean {
  if (san.type === 'URI') return sanEntries(cert, 'URI:').includes(san.value);
  // A wildcard in the policy names a wildcard certificate: compared as written.
  if (san.value.startsWith('*.')) return sanEntries(cert, 'DNS:').some((d) => d.toLowerCase() === san.value);
  return tls.checkServerIdentity(san.value, cert) === undefined;
}

export function verifiedBackendTls(v: BackendVerification): tls.ConnectionOptions {
  const sans = v.subjectAltNames;
  const checkServerIdentity = (_host: string, cert: tls.PeerCertificate): Error | undefined => {
    // The SNI sent may differ from the endpoint's address: the policy's name is what is checked.
    if (sans.length === 0) return tls.checkServerIdentity(v.serverName, cert);
    if (sans.some((s) => sanMatches(s, cert))) return undefined;
    return new Error(`the backend certificate matches none of the subjectAltNames ${sans.map((s) => `${s.type}:${s.value}`).join(', ')} (it has ${cert.subjectaltname ?? 'none'})`);
  };
  identityKeys.set(checkServerIdentity, JSON.stringify([v.serverName, sans]));
  return {
    minVersion: MIN_TLS_VERSION,
    ALPNProtocols: ['http/1.1'],
    servername: v.serverName,
    ...(v.ca !== undefined ? { ca: v.ca } : {}),
    checkServerIdentity,
  };
}

/**
 * Options that fail every handshake: where a backend must not be reached at all (its TLS policy
 * has no usable CA) but a connection could still be attempted, it fails closed.
 */
export function refusedBackendTls(reason: string): tls.ConnectionOptions {
  const checkServerIdentity = () => new Error(reason);
  identityKeys.set(checkServerIdentity, JSON.stringify(['refused', reason]));
  return { minVersion: MIN_TLS_VERSION, ALPNProtocols: ['http/1.1'], checkServerIdentity };
}
