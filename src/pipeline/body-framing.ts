// How the request body the backend receives is delimited: read from the HTTP/1.1 head
// (proxy/request-framing.ts), or from an h2 stream's headers; the plain exchange writes it.

export type BodyFraming =
  /** No Content-Length and no Transfer-Encoding: the request has no body (RFC 9112 6.3 rule 6). */
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' };
