import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRouteSchema, type CrdSchema } from '../../src/api/crd.js';
import { applyDefaults } from '../../src/api/defaults.js';
import type { WebSocketRouteSpec } from '../../src/api/types.js';
import { VALID, applyCase, baseRoute, fullRoute } from './route-cases.js';
import { pruneNulls } from '../../src/api/prune-nulls.js';

/** The apiserver's defaulting algorithm: fill absent fields from `default`, then descend. */
function crdDefault(value: unknown, schema: CrdSchema): unknown {
  if (Array.isArray(value)) return value.map((v) => (schema.items ? crdDefault(v, schema.items) : v));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && child.default !== undefined) out[key] = structuredClone(child.default);
    if (out[key] !== undefined) out[key] = crdDefault(out[key], child);
  }
  return out;
}

const minimal = (): WebSocketRouteSpec => baseRoute().spec as WebSocketRouteSpec;

describe('applyDefaults', () => {
  it('fills the documented defaults into a minimal spec', () => {
    const spec = applyDefaults(minimal());
    assert.equal(spec.loadBalancer.policy, 'LeastConnections');
    assert.equal(spec.backend.scheme, 'ws');
    assert.equal(spec.backend.protocol, 'http/1.1');
    assert.equal(spec.timeouts.connect, '5s');
    assert.equal(spec.timeouts.idle, '1h');
    assert.equal(spec.timeouts.upgrade, '10s');
    assert.equal(spec.timeouts.maxLifetime, undefined);
    assert.equal(spec.drain.timeout, '30s');
    assert.equal(spec.security, undefined);
  });

  it('defaults tls.clientValidation.mode to AllowValidOnly inside a present clientValidation only', () => {
    const secretRef = { name: 'server' };
    assert.deepEqual(applyDefaults({ ...minimal(), tls: { secretRef } }).tls, { secretRef });
    const spec = applyDefaults({ ...minimal(), tls: { secretRef, clientValidation: { caSecretRef: { name: 'devices' } } } });
    assert.equal(spec.tls?.clientValidation?.mode, 'AllowValidOnly');
    const fallback = applyDefaults({ ...minimal(), tls: { secretRef, clientValidation: { caSecretRef: { name: 'devices' }, mode: 'AllowInsecureFallback' } } });
    assert.equal(fallback.tls?.clientValidation?.mode, 'AllowInsecureFallback');
  });

  it('defaults onRateExceeded and pongTimeout inside present blocks only', () => {
    assert.equal(applyDefaults(minimal()).messages, undefined);
    assert.equal(applyDefaults(minimal()).keepalive, undefined);
    const spec = applyDefaults({ ...minimal(), messages: { maxBytes: '1Mi' }, keepalive: { pingInterval: '30s' } });
    assert.equal(spec.messages?.onRateExceeded, 'Throttle');
    assert.equal(spec.keepalive?.pongTimeout, '10s');
  });

  it('defaults backend.path to match.path (pass-through)', () => {
    const spec = minimal();
    delete spec.backend.path;
    assert.equal(applyDefaults(spec).backend.path, '/gateway/{catchAll}');
  });

  it('keeps values that are set', () => {
    const full = fullRoute().spec;
    assert.deepEqual(applyDefaults(full), full);
  });

  it('defaults allowMissingOrigin to true inside a security block only', () => {
    const spec = { ...minimal(), security: { allowedOrigins: ['https://a.com'] } };
    assert.equal(applyDefaults(spec).security?.allowMissingOrigin, true);
    assert.equal(applyDefaults({ ...minimal(), security: { allowMissingOrigin: false } }).security?.allowMissingOrigin, false);
  });

  it('does not change its input and shares nothing with it', () => {
    const spec = fullRoute().spec;
    const before = structuredClone(spec);
    const out = applyDefaults(spec);
    assert.deepEqual(spec, before);
    out.match.headers![0]!.value = 'changed';
    out.backend.endpoints!.push({ host: 'x', port: 1 });
    assert.deepEqual(spec, before);
  });

  // The CRD's `default:` values and applyDefaults must never drift apart.
  for (const c of VALID) {
    it(`matches the CRD's defaults: ${c.name}`, () => {
      const spec = (pruneNulls(applyCase(c), loadRouteSchema()) as { spec: WebSocketRouteSpec }).spec;
      const expected = crdDefault(spec, loadRouteSchema().properties!.spec!) as WebSocketRouteSpec;
      expected.backend.path ??= expected.match.path;
      assert.deepEqual(applyDefaults(spec), expected);
    });
  }
});
