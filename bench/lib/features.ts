// The route features a real route turns on, for the bench's `wsgate-features` target (all of
// them) and its `wsgate-feature-*` targets (one each), so the report shows what each costs per
// upgrade (issue 27). Pure: the route's spec lines, the Secret files wsgate reads from
// --secrets-dir, and the headers the load generator's clients send to pass the checks.

import { createHmac } from 'node:crypto';

export const FEATURES = ['apikey', 'jwt', 'origin', 'headers', 'affinity', 'limits'] as const;
export type Feature = (typeof FEATURES)[number];

/** What `wsgate-features` turns on: JWT auth (the costlier of the two auth forms), and the rest. */
export const ALL_ROUTE_FEATURES: readonly Feature[] = ['jwt', 'origin', 'headers', 'affinity', 'limits'];

/** The report's words for each feature. */
export const FEATURE_TITLE: Readonly<Record<Feature, string>> = {
  apikey: 'API-key auth (x-api-key)',
  jwt: 'JWT auth (HS256 bearer token, audience checked)',
  origin: 'Origin check (allowedOrigins)',
  headers: 'request header rules (set, add, remove)',
  affinity: 'cookie affinity (Set-Cookie on the 101)',
  limits: 'per-client limits (connections, upgrade rate)',
};

export const BENCH_ORIGIN = 'https://app.bench.example';
const API_KEY_SECRET = 'bench-api-keys';
const JWT_SECRET = 'bench-jwt';
const JWT_AUDIENCE = 'wsgate-bench';

/** Fixed, not random: the bench is reproducible and the values protect nothing (loopback only). */
const API_KEY = 'bench-api-key-0123456789abcdef';
const HMAC_SECRET = 'bench-hmac-secret-0123456789abcdef0123456789';

/**
 * Lines of the route's spec (indented two spaces, as startWsgate's specLines). The limits are
 * set far above what the bench reaches: every client is 127.0.0.1, and the row is about what
 * checking them costs, not about refusals.
 */
export function featureSpecLines(features: readonly Feature[]): string[] {
  const on = new Set(features);
  const lines: string[] = [];
  if (on.has('origin') || on.has('apikey') || on.has('jwt')) {
    lines.push('  security:');
    if (on.has('origin')) lines.push(`    allowedOrigins: ['${BENCH_ORIGIN}']`, '    allowMissingOrigin: false');
    if (on.has('apikey') || on.has('jwt')) {
      lines.push('    auth:');
      if (on.has('jwt')) lines.push(`      jwt: { secretRef: { name: ${JWT_SECRET} }, audiences: [${JWT_AUDIENCE}], algorithms: [HS256] }`);
      if (on.has('apikey')) lines.push(`      apiKeys: { secretRef: { name: ${API_KEY_SECRET} } }`);
    }
  }
  if (on.has('headers')) {
    lines.push(
      '  requestHeaders:',
      "    set: { x-bench-tenant: 'bench' }",
      "    add: { x-bench-via: 'wsgate' }",
      '    remove: [x-bench-debug]',
    );
  }
  if (on.has('affinity')) lines.push('  sessionAffinity: { cookie: { name: bench-affinity, maxAge: 1h } }');
  if (on.has('limits')) lines.push('  limits: { maxConnections: 1000000, maxConnectionsPerClient: 1000000, upgradesPerSecondPerClient: 1000000 }');
  return lines;
}

/** Files under --secrets-dir (`<namespace>/<name>/<key>`, the layout of a mounted Secret). */
export function featureSecrets(features: readonly Feature[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (features.includes('apikey')) out[`default/${API_KEY_SECRET}/key`] = API_KEY;
  if (features.includes('jwt')) out[`default/${JWT_SECRET}/secret`] = HMAC_SECRET;
  return out;
}

/** The headers every client sends so that its upgrade passes the route's checks. */
export function featureClientHeaders(features: readonly Feature[], nowSeconds: number): Record<string, string> {
  const h: Record<string, string> = {};
  if (features.includes('origin')) h.origin = BENCH_ORIGIN;
  if (features.includes('apikey')) h['x-api-key'] = API_KEY;
  if (features.includes('jwt')) {
    h.authorization = `Bearer ${hs256Jwt({ sub: 'bench', aud: JWT_AUDIENCE, iat: nowSeconds, exp: nowSeconds + 24 * 3600 }, HMAC_SECRET)}`;
  }
  // Something for the remove rule to remove, as a client's stray header would be.
  if (features.includes('headers')) h['x-bench-debug'] = '1';
  return h;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** A compact JWS (RFC 7515) signed with HMAC-SHA256. */
export function hs256Jwt(claims: Record<string, unknown>, secret: string): string {
  const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${base64url(createHmac('sha256', secret).update(signingInput).digest())}`;
}

/** One row of the report's feature table. */
export interface FeatureCost {
  proxyCpuUsPerUpgrade: number;
  /** Over plain wsgate (no feature) in the same rounds, µs. */
  addedUsPerUpgrade: number;
  /** Against the bare Node relay (bench/node-relay.ts). */
  vsNodeRelay: number;
}

/**
 * What each feature (and all of them, `all`) costs per upgrade, from the upgrades scenario's
 * CPU per upgrade by target name (NaN where a target did not run). Only the rows whose target ran.
 */
export function featureCosts(cpuPerUpgrade: (target: string) => number): Partial<Record<Feature | 'all', FeatureCost>> {
  const plain = cpuPerUpgrade('wsgate');
  const relay = cpuPerUpgrade('node-relay');
  const out: Partial<Record<Feature | 'all', FeatureCost>> = {};
  const row = (cpu: number): FeatureCost => ({
    proxyCpuUsPerUpgrade: cpu,
    addedUsPerUpgrade: Number.isFinite(plain) ? Math.round(cpu - plain) : Number.NaN,
    vsNodeRelay: Number.isFinite(relay) && relay > 0 ? Math.round((cpu / relay) * 1000) / 1000 : Number.NaN,
  });
  for (const f of FEATURES) {
    const cpu = cpuPerUpgrade(`wsgate-feature-${f}`);
    if (Number.isFinite(cpu)) out[f] = row(cpu);
  }
  const all = cpuPerUpgrade('wsgate-features');
  if (Number.isFinite(all)) out.all = row(all);
  return out;
}
