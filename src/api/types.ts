// The WebSocketRoute resource as users write it. crds/wsgate.io_websocketroutes.yaml is the
// source of truth for the schema; test/api/schema-sync.test.ts checks these types against it.

import type { ClientValidationMode } from './client-validation.js';

export const GROUP = 'wsgate.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'WebSocketRoute';
export const PLURAL = 'websocketroutes';

/** --host-ownership: 'namespace': the namespace of a host's oldest accepted route owns it; 'shared': any namespace may route on any host. */
export type HostOwnership = 'namespace' | 'shared';

export type Policy = 'LeastConnections' | 'RoundRobin' | 'PowerOfTwoChoices' | 'ConsistentHash';
export type Scheme = 'ws' | 'wss';
/** How plain requests reach a backend: HTTP/1.1, or h2c (HTTP/2 with prior knowledge). */
export type BackendProtocol = 'http/1.1' | 'h2c';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export interface HeaderMatch {
  name: string;
  value: string;
}

export interface StaticEndpoint {
  host: string;
  port: number;
}

export interface ServiceRef {
  name: string;
  /** Service port number or name. */
  port: number | string;
}

export interface HashOn {
  header?: string;
  cookie?: string;
  query?: string;
  sourceIP?: boolean;
}

/** A Secret in the route's namespace. */
export interface SecretRef {
  name: string;
}

/** A Secret in the route's namespace and, optionally, one key of it. */
export interface SecretKeyRef {
  name: string;
  key?: string;
}

export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

export interface JwtAuth {
  /** Secret holding the verification key; `key` may be left out when the Secret has one key. */
  secretRef: SecretKeyRef;
  audiences?: string[];
  issuer?: string;
  /** Duration; default 30s. */
  clockSkew?: string;
  /** A token without `exp` is refused; default false. */
  requireExpiration?: boolean;
  algorithms?: JwtAlgorithm[];
  tokenFrom?: {
    query?: string;
    subprotocolPrefix?: string;
  };
  /** Claim name -> accepted values. */
  requiredClaims?: Record<string, string[]>;
  /** Claim name -> request header name. */
  forwardClaims?: Record<string, string>;
}

export interface ApiKeyAuth {
  secretRef: SecretKeyRef;
  /** Default x-api-key. */
  header?: string;
  query?: string;
}

export interface BackendTls {
  /** Default key: ca.crt. */
  caSecretRef?: SecretKeyRef;
  serverName?: string;
  insecureSkipVerify?: boolean;
  /** A kubernetes.io/tls Secret (tls.crt, tls.key) whose certificate wsgate presents to the backend. */
  clientCertificateRef?: { name: string };
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
export type SameSite = 'Strict' | 'Lax' | 'None';
/** "auto": Secure when the client came over TLS. Strings, as a structural schema has no bool-or-string. */
export type CookieSecure = 'auto' | 'true' | 'false';

export interface AffinityCookie {
  /** Default wsgate-affinity. */
  name?: string;
  /** Duration; unset: a session cookie. */
  maxAge?: string;
  /** Default "/". */
  path?: string;
  /** Default Lax. */
  sameSite?: SameSite;
  /** Default auto. */
  secure?: CookieSecure;
}

/** A size in bytes: an integer or a quantity string such as "64Ki", "1Mi" (src/api/quantity.ts). */
export type ByteSize = number | string;

export type OnRateExceeded = 'Throttle' | 'Close';

export interface MessageLimits {
  maxBytes?: ByteSize;
  maxBytesFromBackend?: ByteSize;
  rate?: { perSecond: number; burst?: number };
  byteRate?: { perSecond: ByteSize; burst?: ByteSize };
  /** Default Throttle. */
  onRateExceeded?: OnRateExceeded;
}

export interface Keepalive {
  pingInterval: string;
  /** Default 10s. */
  pongTimeout?: string;
}

export interface RouteClientValidation {
  /** PEM CA bundle in the route's namespace; key defaults to ca.crt. */
  caSecretRef: SecretKeyRef;
  /** Default AllowValidOnly. */
  mode?: ClientValidationMode;
}

export interface WebSocketRouteSpec {
  /** The --class of the install that serves this route; unset: the install with --default-class. */
  className?: string;
  hosts?: string[];
  /** Namespaces whose routes may use this route's hosts when its namespace owns them (--host-ownership namespace). */
  hostSharing?: { namespaces: string[] };
  tls?: {
    secretRef: SecretRef;
    /** Client certificates (mutual TLS), checked per request against this route's CA bundle. */
    clientValidation?: RouteClientValidation;
  };
  match: {
    path: string;
    subprotocols?: string[];
    headers?: HeaderMatch[];
  };
  backend: {
    service?: ServiceRef;
    endpoints?: StaticEndpoint[];
    scheme?: Scheme;
    /** Plain requests only: upgrades always use HTTP/1.1. */
    protocol?: BackendProtocol;
    tls?: BackendTls;
    path?: string;
  };
  loadBalancer?: {
    policy?: Policy;
    hashOn?: HashOn;
  };
  rebalance?: {
    tolerance?: number;
    maxClosesPerSecond?: number;
  };
  timeouts?: {
    connect?: string;
    idle?: string;
    /** Time the backend has to answer the upgrade request; default 10s. */
    upgrade?: string;
    maxLifetime?: string;
  };
  drain?: {
    timeout?: string;
  };
  limits?: {
    maxConnections?: number;
    maxConnectionsPerClient?: number;
    upgradesPerSecondPerClient?: number;
  };
  messages?: MessageLimits;
  keepalive?: Keepalive;
  security?: {
    allowedOrigins?: string[];
    /** Whether a request without Origin (a non-browser client) may connect; default true. */
    allowMissingOrigin?: boolean;
    auth?: {
      jwt?: JwtAuth;
      apiKeys?: ApiKeyAuth;
    };
  };
  requestHeaders?: {
    set?: Record<string, string>;
    add?: Record<string, string>;
    remove?: string[];
  };
  /** Plain HTTP beside the upgrade; absent: plain requests get 426. */
  http?: {
    methods: HttpMethod[];
    /** Plain requests tried again (the HTTPRoute rule retry's fields); absent: a refused connect only. */
    retry?: { codes?: number[]; attempts?: number; backoff?: string };
  };
  sessionAffinity?: {
    cookie: AffinityCookie;
  };
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface WebSocketRouteStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  backends?: { ready: number; total: number };
}

export interface WebSocketRoute {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: WebSocketRouteSpec;
  status?: WebSocketRouteStatus;
}

/** "namespace/name", the identity used in logs, metrics, status and the table. */
export function routeKey(route: { metadata: ObjectMeta }): string {
  return `${route.metadata.namespace ?? 'default'}/${route.metadata.name}`;
}
