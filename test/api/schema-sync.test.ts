// The CRD is the source of the schema; src/api/types.ts is written by hand. This test fails
// when a field is added to, removed from or made (non-)required in one but not the other:
// the CRD and the list below must agree, and so must the list and types.ts, read with the
// TypeScript compiler.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { crdPath, loadRouteSchema, type CrdSchema } from '../../src/api/crd.js';
import { PATTERN_HINTS } from '../../src/api/schema-messages.js';

/** Every field under spec and status; '[]' is a list item, a trailing '!' marks a required field. */
const FIELDS = [
  'spec!',
  'spec.className',
  'spec.hosts',
  'spec.hostSharing',
  'spec.hostSharing.namespaces!',
  'spec.tls',
  'spec.tls.secretRef!',
  'spec.tls.secretRef.name!',
  'spec.tls.clientValidation',
  'spec.tls.clientValidation.caSecretRef!',
  'spec.tls.clientValidation.caSecretRef.name!',
  'spec.tls.clientValidation.caSecretRef.key',
  'spec.tls.clientValidation.mode',
  'spec.match!',
  'spec.match.path!',
  'spec.match.subprotocols',
  'spec.match.headers',
  'spec.match.headers[].name!',
  'spec.match.headers[].value!',
  'spec.backend!',
  'spec.backend.service',
  'spec.backend.service.name!',
  'spec.backend.service.port!',
  'spec.backend.endpoints',
  'spec.backend.endpoints[].host!',
  'spec.backend.endpoints[].port!',
  'spec.backend.scheme',
  'spec.backend.protocol',
  'spec.backend.tls',
  'spec.backend.tls.caSecretRef',
  'spec.backend.tls.caSecretRef.name!',
  'spec.backend.tls.caSecretRef.key',
  'spec.backend.tls.serverName',
  'spec.backend.tls.insecureSkipVerify',
  'spec.backend.tls.clientCertificateRef',
  'spec.backend.tls.clientCertificateRef.name!',
  'spec.backend.path',
  'spec.loadBalancer',
  'spec.loadBalancer.policy',
  'spec.loadBalancer.hashOn',
  'spec.loadBalancer.hashOn.header',
  'spec.loadBalancer.hashOn.cookie',
  'spec.loadBalancer.hashOn.query',
  'spec.loadBalancer.hashOn.sourceIP',
  'spec.rebalance',
  'spec.rebalance.tolerance',
  'spec.rebalance.maxClosesPerSecond',
  'spec.timeouts',
  'spec.timeouts.connect',
  'spec.timeouts.idle',
  'spec.timeouts.upgrade',
  'spec.timeouts.maxLifetime',
  'spec.drain',
  'spec.drain.timeout',
  'spec.limits',
  'spec.limits.maxConnections',
  'spec.limits.maxConnectionsPerClient',
  'spec.limits.upgradesPerSecondPerClient',
  'spec.messages',
  'spec.messages.maxBytes',
  'spec.messages.maxBytesFromBackend',
  'spec.messages.rate',
  'spec.messages.rate.perSecond!',
  'spec.messages.rate.burst',
  'spec.messages.byteRate',
  'spec.messages.byteRate.perSecond!',
  'spec.messages.byteRate.burst',
  'spec.messages.onRateExceeded',
  'spec.keepalive',
  'spec.keepalive.pingInterval!',
  'spec.keepalive.pongTimeout',
  'spec.security',
  'spec.security.allowedOrigins',
  'spec.security.allowMissingOrigin',
  'spec.security.auth',
  'spec.security.auth.jwt',
  'spec.security.auth.jwt.secretRef!',
  'spec.security.auth.jwt.secretRef.name!',
  'spec.security.auth.jwt.secretRef.key',
  'spec.security.auth.jwt.audiences',
  'spec.security.auth.jwt.issuer',
  'spec.security.auth.jwt.clockSkew',
  'spec.security.auth.jwt.requireExpiration',
  'spec.security.auth.jwt.algorithms',
  'spec.security.auth.jwt.tokenFrom',
  'spec.security.auth.jwt.tokenFrom.query',
  'spec.security.auth.jwt.tokenFrom.subprotocolPrefix',
  'spec.security.auth.jwt.requiredClaims',
  'spec.security.auth.jwt.forwardClaims',
  'spec.security.auth.apiKeys',
  'spec.security.auth.apiKeys.secretRef!',
  'spec.security.auth.apiKeys.secretRef.name!',
  'spec.security.auth.apiKeys.secretRef.key',
  'spec.security.auth.apiKeys.header',
  'spec.security.auth.apiKeys.query',
  'spec.requestHeaders',
  'spec.requestHeaders.set',
  'spec.requestHeaders.add',
  'spec.requestHeaders.remove',
  'spec.http',
  'spec.http.methods!',
  'spec.http.retry',
  'spec.http.retry.codes',
  'spec.http.retry.attempts',
  'spec.http.retry.backoff',
  'spec.sessionAffinity',
  'spec.sessionAffinity.cookie!',
  'spec.sessionAffinity.cookie.name',
  'spec.sessionAffinity.cookie.maxAge',
  'spec.sessionAffinity.cookie.path',
  'spec.sessionAffinity.cookie.sameSite',
  'spec.sessionAffinity.cookie.secure',
  'status',
  'status.observedGeneration',
  'status.conditions',
  'status.conditions[].type!',
  'status.conditions[].status!',
  'status.conditions[].reason!',
  'status.conditions[].message!',
  'status.conditions[].observedGeneration',
  'status.conditions[].lastTransitionTime',
  'status.backends',
  'status.backends.ready!',
  'status.backends.total!',
];

/** field -> shape of its value: 'object', 'string', 'number', 'boolean', 'number|string', 'map', 'enum(a|b)', 'list<...>'. */
type Shapes = Map<string, string>;

function crdFields(schema: CrdSchema, prefix: string, required: boolean, out: Shapes): void {
  out.set(prefix + (required ? '!' : ''), crdShape(schema));
  let node = schema;
  let path = prefix;
  while (node.type === 'array' && node.items) {
    node = node.items;
    path += '[]';
  }
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    crdFields(child, `${path}.${name}`, node.required?.includes(name) ?? false, out);
  }
}

function crdShape(s: CrdSchema): string {
  if (s['x-kubernetes-int-or-string']) return 'number|string';
  if (s.type === 'array') return `list<${crdShape(s.items ?? {})}>`;
  if (s.type === 'object') return s.additionalProperties ? 'map' : 'object';
  if (s.enum) return `enum(${s.enum.map(String).sort().join('|')})`;
  if (s.type === 'integer') return 'number';
  return s.type ?? '?';
}

/** The same walk over the TypeScript interfaces, from the type checker's view of types.ts. */
function typeFields(): Shapes {
  const root = dirname(dirname(crdPath()));
  const file = join(root, 'src', 'api', 'types.ts');
  const program = ts.createProgram([file], { strict: true, noEmit: true, types: [], skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  assert.ok(source, `cannot read ${file}`);
  const route = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'WebSocketRoute');
  assert.ok(route, 'types.ts has no WebSocketRoute interface');
  const out: Shapes = new Map();

  const shape = (t: ts.Type): string => {
    if (t.isUnion() && t.types.every((u) => u.isStringLiteral())) {
      return `enum(${t.types.map((u) => (u as ts.StringLiteralType).value).sort().join('|')})`;
    }
    if (t.flags & ts.TypeFlags.Boolean || (t.isUnion() && t.types.every((u) => u.flags & ts.TypeFlags.BooleanLiteral))) return 'boolean';
    if (t.isUnion()) return t.types.map(shape).sort().join('|');
    if (t.flags & ts.TypeFlags.String) return 'string';
    if (t.flags & ts.TypeFlags.Number) return 'number';
    if (checker.isArrayType(t)) return `list<${shape(checker.getTypeArguments(t as ts.TypeReference)[0]!)}>`;
    if (t.getStringIndexType()) return 'map';
    return 'object';
  };
  const walk = (t: ts.Type, path: string) => {
    while (checker.isArrayType(t)) {
      t = checker.getTypeArguments(t as ts.TypeReference)[0]!;
      path += '[]';
    }
    if (shape(t) !== 'object') return;
    for (const prop of checker.getPropertiesOfType(t)) {
      const type = checker.getNonNullableType(checker.getTypeOfSymbol(prop));
      const required = !(prop.flags & ts.SymbolFlags.Optional);
      out.set(`${path}.${prop.name}${required ? '!' : ''}`, shape(type));
      walk(type, `${path}.${prop.name}`);
    }
  };
  const routeType = checker.getTypeAtLocation(route.name);
  for (const top of ['spec', 'status']) {
    const prop = routeType.getProperty(top)!;
    const type = checker.getNonNullableType(checker.getTypeOfSymbol(prop));
    out.set(top + (prop.flags & ts.SymbolFlags.Optional ? '' : '!'), shape(type));
    walk(type, top);
  }
  return out;
}

function crdShapes(): Shapes {
  const schema = loadRouteSchema();
  const out: Shapes = new Map();
  for (const top of ['spec', 'status']) {
    crdFields(schema.properties![top]!, top, schema.required?.includes(top) ?? false, out);
  }
  return out;
}

describe('schema sync', () => {
  it('the CRD has exactly the fields listed here', () => {
    assert.deepEqual([...crdShapes().keys()].sort(), [...FIELDS].sort());
  });

  it('types.ts has exactly the fields listed here', () => {
    assert.deepEqual([...typeFields().keys()].sort(), [...FIELDS].sort());
  });

  it('types.ts and the CRD agree on the shape of every field', () => {
    const crd = crdShapes();
    const types = typeFields();
    const differ = [...crd].filter(([field, shape]) => types.get(field) !== shape).map(([f, s]) => `${f}: CRD ${s}, types.ts ${types.get(f)}`);
    assert.deepEqual(differ, []);
  });

  it('every pattern in the CRD has a plain-language hint', () => {
    const patterns = new Set<string>();
    const visit = (s: CrdSchema) => {
      if (s.pattern) patterns.add(s.pattern);
      Object.values(s.properties ?? {}).forEach(visit);
      if (s.items) visit(s.items);
      if (typeof s.additionalProperties === 'object') visit(s.additionalProperties);
    };
    visit(loadRouteSchema());
    assert.deepEqual([...patterns].filter((p) => !(p in PATTERN_HINTS)), []);
    assert.deepEqual(Object.keys(PATTERN_HINTS).filter((p) => !patterns.has(p)), [], 'hints for patterns the CRD no longer has');
  });
});
