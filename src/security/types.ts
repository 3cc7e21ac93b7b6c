import type { X509Certificate } from 'node:crypto';
import type tls from 'node:tls';
import type { ClientValidationMode } from '../api/client-validation.js';
import type { ApiKeyVerifier } from './api-keys.js';
import type { JwtVerifier } from './jwt.js';
import type { OriginPolicy } from './origin.js';
import type { RouteLimits } from './rate-limit.js';
import type { HeaderRules } from './request-headers.js';

/** A route's security, compiled with the table: everything the guard needs, no I/O left. */
export interface CompiledSecurity {
  readonly origin: OriginPolicy;
  readonly jwt?: JwtVerifier;
  readonly apiKeys?: ApiKeyVerifier;
  readonly limits: RouteLimits;
  readonly headers: HeaderRules;
  /** A referenced Secret is missing or unusable: upgrades fail closed (503), never open. */
  readonly unresolved?: { readonly reason: string; readonly message: string };
  /** WebSocketRoute spec.tls.clientValidation: the admission stage checks the client certificate against these anchors. */
  readonly clientValidation?: RouteClientCertificates;
}

/** A route's client certificate validation: its mode and its CA bundle, as PEM (for the SNI context) and parsed (for the per-request check). */
export interface RouteClientCertificates {
  readonly mode: ClientValidationMode;
  readonly caPem: string;
  readonly anchors: readonly X509Certificate[];
}

/** The route's server certificate on the TLS listener. */
export interface CompiledTls {
  readonly context: tls.SecureContext;
  /** "namespace/name" of the Secret, for /debug/routes and the expiry metric. */
  readonly secret: string;
  /** When the certificate expires (seconds since the epoch): wsgate_tls_certificate_expiry_timestamp_seconds. */
  readonly notAfter: number;
  /** WebSocketRoutes: the same certificate in a context that trusts `clientCa` for client certificates (the union bundle of a host's routes, proxy/sni-index.ts). */
  readonly withClientCa?: (clientCa: string) => tls.SecureContext;
}

/** What a Secret reference resolved to: its data (values decoded), or why not. */
export type SecretResolution =
  | { ok: true; data: Readonly<Record<string, Buffer>> }
  | { ok: false; reason: 'SecretNotFound'; message: string };

/** Looks up a Secret by namespace and name (pure lookup over a store or a directory snapshot). */
export type SecretResolver = (namespace: string, name: string) => SecretResolution;

/** spec.sessionAffinity.cookie with its defaults applied. */
