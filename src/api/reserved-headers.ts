// Header names that belong to the proxy, not to header rules. Shared by the semantic validation
// of WebSocketRoute requestHeaders, the Connection-header strip (src/security) and the Gateway
// API header modifiers (src/proxy), so that one list says what nothing else may touch.

/**
 * How a message is delimited and carried on its connection (RFC 9112 6, 7.6.1, 9.6): wsgate
 * writes these itself from what it parsed. A header rule or modifier naming one is ignored at
 * run time (and refused by validation where a route file is validated). Host is not among them:
 * a rule may set the backend's virtual host (it does not delimit anything); only the client's
 * Connection header cannot remove it (request-headers.ts).
 */
export const FRAMING_HEADERS: ReadonlySet<string> = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
]);

/** Headers wsgate sets on every proxied request (forwarding, request id, trace context, the verified client certificate). */
export const WSGATE_SET_HEADERS: ReadonlySet<string> = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
  'x-request-id',
  'traceparent',
  'tracestate',
  // Set only from the client certificate the TLS handshake verified (proxy/client-certificate.ts).
  'x-forwarded-client-cert',
]);

export function isFramingHeader(lowerName: string): boolean {
  return FRAMING_HEADERS.has(lowerName);
}
