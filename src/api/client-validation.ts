// Client certificate validation on an HTTPS listener (mutual TLS): the CA bundle client
// certificates must chain to, and what happens to a client without a valid one. Plain data: it
// travels from the translator through the socket plan and the compiled table to the TLS server.

/** The Gateway API's FrontendValidationModeType; wsgate uses the same names. */
export const CLIENT_VALIDATION_MODES = ['AllowValidOnly', 'AllowInsecureFallback'] as const;
export type ClientValidationMode = (typeof CLIENT_VALIDATION_MODES)[number];

export interface ClientValidation {
  /**
   * AllowValidOnly: a handshake without a certificate that chains to `caPem` fails.
   * AllowInsecureFallback: it goes on, unauthenticated (no client-certificate header).
   */
  readonly mode: ClientValidationMode;
  /** PEM CA certificates, concatenated: the only trust anchors (never the system roots). */
  readonly caPem: string;
}

/** The request header wsgate sets from a verified client certificate (and removes from what clients send). */
export const CLIENT_CERT_HEADER = 'x-forwarded-client-cert';

/** A client certificate the TLS handshake verified, as the header and the access log show it (src/proxy/client-certificate.ts). */
export interface VerifiedClientCertificate {
  /** SHA-256 of the certificate's DER, lower-case hex (Envoy's Hash). */
  readonly hash: string;
  /** The subject as an RFC 4514 string, most specific first ("CN=device-1,O=Example"). */
  readonly subject: string;
  readonly dns: readonly string[];
  readonly uris: readonly string[];
  /** The header value, computed once per connection. */
  readonly header: string;
}

export function sameClientValidation(a: ClientValidation | undefined, b: ClientValidation | undefined): boolean {
  if (!a || !b) return a === b;
  return a.mode === b.mode && a.caPem === b.caPem;
}
