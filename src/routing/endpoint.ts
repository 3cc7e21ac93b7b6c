// A backend address: the one type both route kinds balance over (types.ts for WebSocketRoutes,
// gateway-types.ts for HTTPRoute backendRefs), so it lives below both.

/** One backend address. `id` ("host:port", IPv6 in brackets) keys shared connection counts. */
export interface Endpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Ready and not terminating: may take new connections. */
  readonly ready: boolean;
  /** Present in the source but leaving (EndpointSlice `terminating`): drains, takes nothing new. */
  readonly terminating: boolean;
}

export function endpointId(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function makeEndpoint(host: string, port: number, ready = true, terminating = false): Endpoint {
  return { id: endpointId(host, port), host, port, ready: ready && !terminating, terminating };
}
