// A backend address, and the set of them a route balances over: the types both route kinds
// share (types.ts for WebSocketRoutes, gateway-types.ts for HTTPRoute backendRefs), so they live
// below both.

import type tls from 'node:tls';
import type { Scheme } from '../api/types.js';

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

/** Where a route (or an HTTPRoute backendRef) sends connections, and how to reach it. */
export interface BackendTarget {
  readonly scheme: Scheme;
  /** Every endpoint the source lists, including not-ready and terminating ones. */
  readonly endpoints: readonly Endpoint[];
  /** Endpoints that may take new connections. */
  readonly eligible: readonly Endpoint[];
  /** For scheme wss: how to open and verify the TLS connection. */
  readonly tls?: tls.ConnectionOptions;
  /**
   * How plain requests reach it: 'h2c' is HTTP/2 with prior knowledge (h2c-sessions.ts);
   * absent, HTTP/1.1. Upgrades always use HTTP/1.1.
   */
  readonly protocol?: 'h2c';
}
