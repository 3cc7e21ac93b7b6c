// Pure: a route's security settings + Secret lookups -> what the guard, the TLS listener and the
// backend connection need. Problems with referenced Secrets come back as ResolvedRefs reasons;
// the route is still served, but its upgrades fail closed.

import { caBundleValid, parseCaBundle } from '../api/pem.js';
import tls from 'node:tls';
import type { DefaultedSpec } from '../api/defaults.js';
import { compileApiKeys } from './api-keys.js';
import { compileJwtVerifier, parseJwtKeys } from './jwt.js';
import { compileOriginPolicy } from './origin.js';
import { compileHeaderRules } from './request-headers.js';
import { contextFromSecret, MIN_TLS_VERSION, serverContext } from './tls-store.js';
import type { CompiledSecurity, CompiledTls, RouteClientCertificates, SecretResolver } from './types.js';

export interface RefProblem {
  reason: 'SecretNotFound' | 'InvalidSecret';
  message: string;
}

export interface SecurityCompileResult {
  security: CompiledSecurity;
  tls?: CompiledTls;
  backendTls?: tls.ConnectionOptions;
  problems: RefProblem[];
}

const CA_KEY = 'ca.crt';

export function compileRouteSecurity(spec: DefaultedSpec, namespace: string, resolveSecret: SecretResolver | undefined): SecurityCompileResult {
  const problems: RefProblem[] = [];
  const lookup = (name: string): Readonly<Record<string, Buffer>> | undefined => {
    if (!resolveSecret) {
      problems.push({
        reason: 'SecretNotFound',
        message: `Secret ${namespace}/${name} not found: no Secret source (standalone mode reads Secrets from --secrets-dir DIR as DIR/${namespace}/${name}/<key>)`,
      });
      return undefined;
    }
    const r = resolveSecret(namespace, name);
    if (!r.ok) {
      problems.push({ reason: 'SecretNotFound', message: r.message });
      return undefined;
    }
    return r.data;
  };
  const invalid = (name: string, message: string) => problems.push({ reason: 'InvalidSecret', message: `Secret ${namespace}/${name}: ${message}` });
  /** The one value a ref points at: its key, or the only key of the Secret. */
  const single = (ref: { name: string; key?: string }, defaultKey?: string): Buffer | undefined => {
    const data = lookup(ref.name);
    if (!data) return undefined;
    const key = ref.key ?? defaultKey;
    if (key !== undefined) {
      const v = data[key];
      if (!v) invalid(ref.name, `has no key "${key}"`);
      return v;
    }
    const keys = Object.keys(data);
    if (keys.length !== 1) {
      invalid(ref.name, `has ${keys.length} keys; set secretRef.key to choose one`);
      return undefined;
    }
    return data[keys[0]!];
  };

  const sec = spec.security;
  let jwt: CompiledSecurity['jwt'];
  if (sec?.auth?.jwt) {
    const spec = sec.auth.jwt;
    const raw = single(spec.secretRef);
    if (raw) {
      const parsed = parseJwtKeys(raw);
      if (parsed.ok) jwt = compileJwtVerifier(spec, parsed.keys);
      else invalid(spec.secretRef.name, parsed.message);
    }
  }
  let apiKeys: CompiledSecurity['apiKeys'];
  if (sec?.auth?.apiKeys) {
    const spec = sec.auth.apiKeys;
    let values: Buffer[] | undefined;
    if (spec.secretRef.key !== undefined) {
      const v = single(spec.secretRef);
      values = v ? [v] : undefined;
    } else {
      const data = lookup(spec.secretRef.name);
      values = data ? Object.values(data) : undefined;
    }
    if (values) {
      const compiled = compileApiKeys(spec, values);
      if (compiled.ok) apiKeys = compiled.verifier;
      else invalid(spec.secretRef.name, compiled.message);
    }
  }

  let serverTls: CompiledTls | undefined;
  if (spec.tls) {
    const name = spec.tls.secretRef.name;
    const data = lookup(name);
    if (data) {
      const ctx = contextFromSecret(data);
      if (ctx.ok) {
        // The key pair parsed above: serverContext cannot throw for it, and caches by content.
        const withClientCa = (clientCa: string) => serverContext(data['tls.crt']!, data['tls.key']!, clientCa).context;
        serverTls = { context: ctx.context, secret: `${namespace}/${name}`, notAfter: ctx.notAfter, withClientCa };
      } else invalid(name, ctx.message);
    }
  }
  let clientValidation: RouteClientCertificates | undefined;
  const cv = spec.tls?.clientValidation;
  if (cv) {
    const pem = single(cv.caSecretRef, CA_KEY)?.toString('utf8');
    const anchors = pem !== undefined ? parseCaBundle(pem) : undefined;
    if (pem !== undefined && anchors) clientValidation = { mode: cv.mode, caPem: pem, anchors };
    else if (pem !== undefined) invalid(cv.caSecretRef.name, `key "${cv.caSecretRef.key ?? CA_KEY}" is not a PEM certificate bundle`);
  }

  let backendTls: tls.ConnectionOptions | undefined;
  if (spec.backend.scheme === 'wss') {
    const bt = spec.backend.tls;
    backendTls = { minVersion: MIN_TLS_VERSION, ALPNProtocols: ['http/1.1'] };
    if (bt?.serverName) backendTls.servername = bt.serverName;
    if (bt?.insecureSkipVerify) backendTls.rejectUnauthorized = false;
    if (bt?.caSecretRef) {
      const pem = single(bt.caSecretRef, CA_KEY);
      if (pem) {
        if (caBundleValid(pem.toString('utf8'))) backendTls.ca = pem.toString('utf8');
        else invalid(bt.caSecretRef.name, `key "${bt.caSecretRef.key ?? CA_KEY}" is not a PEM certificate bundle`);
      }
    }
    if (bt?.clientCertificateRef) {
      const name = bt.clientCertificateRef.name;
      const data = lookup(name);
      if (data) {
        const pair = clientCertificateFromSecret(data);
        if (pair.ok) Object.assign(backendTls, { cert: pair.cert, key: pair.key });
        else invalid(name, pair.message);
      }
    }
  }

  const security: CompiledSecurity = {
    origin: compileOriginPolicy(sec?.allowedOrigins, sec?.allowMissingOrigin),
    ...(jwt ? { jwt } : {}),
    ...(apiKeys ? { apiKeys } : {}),
    limits: { ...spec.limits },
    headers: compileHeaderRules(spec.requestHeaders),
    ...(clientValidation ? { clientValidation } : {}),
    ...(problems.length > 0 ? { unresolved: { reason: problems[0]!.reason, message: problems.map((p) => p.message).join('; ') } } : {}),
  };
  return { security, ...(serverTls ? { tls: serverTls } : {}), ...(backendTls ? { backendTls } : {}), problems };
}

/** A client certificate from a kubernetes.io/tls Secret's data: both keys, and they load together. */
function clientCertificateFromSecret(data: Readonly<Record<string, Buffer>>): { ok: true; cert: string; key: string } | { ok: false; message: string } {
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (!cert || !key) return { ok: false, message: 'has no tls.crt and tls.key (a client certificate needs both)' };
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    return { ok: false, message: `tls.crt and tls.key do not load as a certificate and its key: ${(err as Error).message}` };
  }
  return { ok: true, cert: cert.toString('utf8'), key: key.toString('utf8') };
}
