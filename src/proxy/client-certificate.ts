// The verified client certificate of a mutual-TLS connection, as the backend and the access log
// see it: X-Forwarded-Client-Cert in Envoy's format (Hash, Subject, URI, DNS), made only from a
// certificate the TLS listener verified against the listener's CA bundle. Whatever a client
// sends in that header is removed on every request (admission/guard.ts), so a backend that
// trusts it trusts wsgate's verification, never the client's claim.

import { X509Certificate } from 'node:crypto';
import type tls from 'node:tls';
import type { VerifiedClientCertificate } from '../api/client-validation.js';

/** Printable ASCII only: a header value must not carry CR, LF or bytes Node refuses to send. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An RDN value escaped as RFC 4514 2.4 says (the characters that would end or nest it). */
function rdnValue(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

/**
 * Node's X509Certificate.subject is one "KEY=value" line per attribute in DER order, with a
 * value that needs it as a JSON string (Node >= 17.3). RFC 4514 lists the most specific first.
 */
export function rfc4514Subject(nodeSubject: string): string {
  const parts = nodeSubject.split('\n').filter((l) => l !== '').map((line) => {
    const eq = line.indexOf('=');
    const name = line.slice(0, eq);
    let value = line.slice(eq + 1);
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        // Left as written: escaped below all the same.
      }
    }
    return `${name}=${rdnValue(value)}`;
  });
  return printable(parts.reverse().join(','));
}

/** DNS and URI names of a subjectAltName string ("DNS:a, URI:spiffe://x, DNS:\"b,c\""). */
export function subjectAltNames(san: string | undefined): { dns: string[]; uris: string[] } {
  const dns: string[] = [];
  const uris: string[] = [];
  for (const m of (san ?? '').matchAll(/(DNS|URI|[A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    let value = m[2]!;
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    if (m[1] === 'DNS') dns.push(value);
    else if (m[1] === 'URI') uris.push(value);
  }
  return { dns, uris };
}

/** An XFCC value: quoted when it holds a separator (Envoy quotes Subject always). */
function xfccValue(v: string, alwaysQuote = false): string {
  const clean = printable(v);
  return alwaysQuote || /[,;="]/.test(clean) ? `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"` : clean;
}

export function xfccHeader(c: Omit<VerifiedClientCertificate, 'header'>): string {
  return [`Hash=${c.hash}`, `Subject=${xfccValue(c.subject, true)}`, ...c.uris.map((u) => `URI=${xfccValue(u)}`), ...c.dns.map((d) => `DNS=${xfccValue(d)}`)].join(';');
}

/**
 * The client certificate of `socket` when the handshake verified it (socket.authorized: the
 * listener asked for one and it chains to the CA bundle), else undefined: no certificate, or
 * one that AllowInsecureFallback let through unverified.
 */
export function verifiedClientCertificate(socket: tls.TLSSocket): VerifiedClientCertificate | undefined {
  if (socket.authorized !== true) return undefined;
  const x509 = socket.getPeerX509Certificate();
  return x509 ? described(x509) : undefined;
}

/**
 * The client certificate of `socket` when the handshake verified it and its chain reaches one
 * of `anchors` (a WebSocketRoute's CA bundle): on --tls-listen the handshake verified against
 * the union bundle of the routes on the host, so `authorized` alone may mean another route's CA.
 * OpenSSL checked every link (signatures, validity) up to the anchor it found; here a link
 * must be one of the route's anchors or be signed by one.
 */
export function certificateVerifiedBy(socket: tls.TLSSocket, anchors: readonly X509Certificate[]): VerifiedClientCertificate | undefined {
  if (socket.authorized !== true) return undefined;
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) return undefined;
  const chained = (c: X509Certificate) => anchors.some((a) => a.fingerprint256 === c.fingerprint256 || (c.checkIssued(a) && c.verify(a.publicKey)));
  return peerChain(socket).some(chained) ? described(leaf) : undefined;
}

/** The peer's chain, leaf first, as Node completed it from the context's store; bounded by the certificates' own links. */
function peerChain(socket: tls.TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    chain.push(new X509Certificate(c.raw));
  }
  return chain;
}

function described(x509: X509Certificate): VerifiedClientCertificate {
  const { dns, uris } = subjectAltNames(x509.subjectAltName);
  const base = { hash: x509.fingerprint256.replace(/:/g, '').toLowerCase(), subject: rfc4514Subject(x509.subject), dns, uris };
  return { ...base, header: xfccHeader(base) };
}
