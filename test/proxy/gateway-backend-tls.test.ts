// BackendTLSPolicy on the data plane, from translate() to a real TLS backend: HTTPRoute backends
// a policy covers are reached over TLS, verified with the policy's CA bundle, its hostname as SNI
// and the name to verify, or its subjectAltNames (Hostname, URI) as the names to accept; plain
// requests and WebSocket upgrades alike. A wrong CA or a SAN that does not match: 502, and the
// backend never sees the request. A policy with no usable CA: 500, no connection tried. A
// Gateway's spec.tls.backend.clientCertificateRef is presented to a backend that requires one.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BackendTLSPolicy, ConfigMap } from '../../src/gatewayapi/types.js';
import { translate } from '../../src/gatewayapi/translate.js';
import type { GatewayRouteEntry } from '../../src/gatewayapi/model.js';
import { makeEndpoint, type SecretResolver, type ServiceResolver } from '../../src/routing/types.js';
import type { DataPlane } from '../../src/workers/data-plane.js';
import { makeCa } from '../helpers/certs.js';
import { startGatewayPlane } from '../helpers/gateway-plane.js';
import { plainRequest } from '../helpers/http-backend.js';
import { startTlsBackend, type TlsBackend, type TlsSeen } from '../helpers/tls-backend.js';
import { connect, expectStatus } from '../helpers/ws-client.js';
import { gateway, input, listener, parent, route, rule, service, tlsSecret } from '../gatewayapi/fixtures.js';

/** One Service (and backend) per case: a refused handshake ejects its endpoint, and must not eject another case's. */
const CASES = {
  verified: { hostname: 'abc.example.com', ca: 'ca' },
  'wrong-ca': { hostname: 'abc.example.com', ca: 'other-ca' },
  'wrong-hostname': { hostname: 'mismatch.example.com', ca: 'ca' },
  'san-uri': { hostname: 'abc.example.com', ca: 'ca', subjectAltNames: [{ type: 'URI' as const, uri: 'spiffe://abc.example.com/test-identity' }] },
  'san-mismatch': { hostname: 'abc.example.com', ca: 'ca', subjectAltNames: [{ type: 'Hostname' as const, hostname: 'def.example.com' }, { type: 'URI' as const, uri: 'spiffe://def.example.com/x' }] },
  'no-ca': { hostname: 'abc.example.com', ca: 'missing' },
} as const;
type Case = keyof typeof CASES;

describe('BackendTLSPolicy: HTTPRoute backends over verified TLS', () => {
  const backends = new Map<Case, TlsBackend>();
  let plane: DataPlane;
  let port: number;

  before(async () => {
    const ca = makeCa('backend CA');
    const other = makeCa('unrelated CA');
    const leaf = ca.issue('abc.example.com', ['abc.example.com', 'URI:spiffe://abc.example.com/test-identity']);
    for (const c of Object.keys(CASES) as Case[]) backends.set(c, await startTlsBackend(c, leaf));
    const configMaps: ConfigMap[] = [
      { metadata: { name: 'ca', namespace: 'apps' }, data: { 'ca.crt': ca.cert } },
      { metadata: { name: 'other-ca', namespace: 'apps' }, data: { 'ca.crt': other.cert } },
    ];
    const policies: BackendTLSPolicy[] = Object.entries(CASES).map(([c, v]) => ({
      metadata: { name: c, namespace: 'apps', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: c }],
        validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: v.ca }], hostname: v.hostname, ...('subjectAltNames' in v ? { subjectAltNames: [...v.subjectAltNames] } : {}) },
      },
    }));
    const out = translate(
      input({
        gateways: [gateway('gw', [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } })])],
        services: Object.keys(CASES).map((c) => service(c, 'apps', [{ name: 'https', port: 443 }])),
        httpRoutes: [route('r', { rules: Object.keys(CASES).map((c) => rule({ matches: [{ path: { type: 'PathPrefix', value: `/${c}` } }], backendRefs: [{ name: c, port: 443 }] })) })],
        configMaps,
        backendTLSPolicies: policies,
      }),
    );
    const resolveService: ServiceResolver = (_ns, ref) => {
      const b = backends.get(ref.name as Case);
      return b ? { ok: true, endpoints: [makeEndpoint('127.0.0.1', b.port)] } : { ok: false, reason: 'ServiceNotFound', message: 'not found' };
    };
    ({ plane, port } = await startGatewayPlane([...out.routes], resolveService));
  });

  after(async () => {
    await plane?.stop();
    for (const b of backends.values()) await b.close();
  });

  const get = (c: Case) => plainRequest(port, `/${c}/x`, { headers: { host: 'any.example' } });
  const wsUrl = (c: Case) => `ws://127.0.0.1:${port}/${c}/ws`;

  test('the right CA and hostname: plain requests and upgrades reach the backend, with the policy hostname as SNI', async () => {
    const r = await get('verified');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()) as TlsSeen, { backend: 'verified', path: '/verified/x', sni: 'abc.example.com', clientCertificate: null });
    const ws = await connect(wsUrl('verified'), { headers: { host: 'any.example' } });
    try {
      assert.equal((ws.hello as unknown as TlsSeen).sni, 'abc.example.com');
      assert.equal(await ws.echo('over wss'), 'over wss');
    } finally {
      await ws.close();
    }
  });

  test('a URI subjectAltName the certificate carries: accepted', async () => {
    assert.equal((await get('san-uri')).status, 200);
    assert.equal(await expectStatus(wsUrl('san-uri'), { headers: { host: 'any.example' } }), 101);
  });

  for (const c of ['wrong-ca', 'wrong-hostname', 'san-mismatch'] as const) {
    test(`${c}: 502 for plain requests and upgrades, the backend sees nothing`, async () => {
      assert.equal((await get(c)).status, 502);
      assert.equal(await expectStatus(wsUrl(c), { headers: { host: 'any.example' } }), 502);
      assert.deepEqual(backends.get(c)!.seen, []);
    });
  }

  test('a policy with no usable CA: 500 without a connection, never plaintext', async () => {
    assert.equal((await get('no-ca')).status, 500);
    assert.equal(await expectStatus(wsUrl('no-ca'), { headers: { host: 'any.example' } }), 500);
    assert.deepEqual(backends.get('no-ca')!.seen, []);
  });
});

describe('GatewayBackendClientCertificate: the Gateway presents its client certificate to TLS backends', () => {
  let backend: TlsBackend;
  let plane: DataPlane;
  let port: number;
  const routeTo = (path: string) => `/${path}`;

  before(async () => {
    const serverCa = makeCa('server CA');
    const clientCa = makeCa('client CA');
    const client = clientCa.issue('wsgate-gateway', ['gateway.example.com'], 'clientAuth');
    backend = await startTlsBackend('mtls', { ...serverCa.issue('abc.example.com', ['abc.example.com']), clientCa: clientCa.cert });
    const policy = (name: string): BackendTLSPolicy => ({
      metadata: { name, namespace: 'apps', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { targetRefs: [{ group: '', kind: 'Service', name }], validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }], hostname: 'abc.example.com' } },
    });
    const listeners = [listener('http', { allowedRoutes: { namespaces: { from: 'All' } } })];
    const out = translate(
      input({
        // Two Gateways on one port would conflict on the socket: one with the certificate, one (gw-bare, port 81) without.
        gateways: [gateway('gw', listeners, { tls: { backend: { clientCertificateRef: { name: 'gateway-client' } } } }), gateway('gw-bare', [listener('http', { port: 81, allowedRoutes: { namespaces: { from: 'All' } } })])],
        services: [service('mtls', 'apps', [{ name: 'https', port: 443 }])],
        httpRoutes: [route('r', { parentRefs: [parent('gw'), parent('gw-bare')], rules: [rule({ matches: [{ path: { type: 'PathPrefix', value: routeTo('mtls') } }], backendRefs: [{ name: 'mtls', port: 443 }] })] })],
        secrets: [tlsSecret('gateway-client', 'infra', client.cert, client.key)],
        configMaps: [{ metadata: { name: 'ca', namespace: 'apps' }, data: { 'ca.crt': serverCa.cert } }],
        backendTLSPolicies: [policy('mtls')],
      }),
    );
    const secretData = { 'tls.crt': Buffer.from(client.cert), 'tls.key': Buffer.from(client.key) };
    const resolveSecret: SecretResolver = (ns, name) => (`${ns}/${name}` === 'infra/gateway-client' ? { ok: true, data: secretData } : { ok: false, reason: 'SecretNotFound', message: 'not found' });
    const resolveService: ServiceResolver = () => ({ ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] });
    // The plane serves Gateway infra/gw port 80 (gateway-plane.ts): the entries of gw-bare are not on it.
    ({ plane, port } = await startGatewayPlane(out.routes.filter((e) => e.listener.gatewayName === 'gw'), resolveService, undefined, undefined, resolveSecret));
    bare = out.routes.filter((e) => e.listener.gatewayName === 'gw-bare');
  });
  let bare: GatewayRouteEntry[] = [];

  after(async () => {
    await plane?.stop();
    await backend?.close();
  });

  test('a backend that requires a client certificate sees the Gateway\'s, for plain requests and upgrades', async () => {
    const r = await plainRequest(port, '/mtls/x', { headers: { host: 'any.example' } });
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body.toString()) as TlsSeen).clientCertificate, 'wsgate-gateway');
    const ws = await connect(`ws://127.0.0.1:${port}/mtls/ws`, { headers: { host: 'any.example' } });
    try {
      assert.equal((ws.hello as unknown as TlsSeen).clientCertificate, 'wsgate-gateway');
    } finally {
      await ws.close();
    }
  });

  test('without spec.tls.backend no certificate is presented: the backend refuses the handshake (502)', async () => {
    assert.equal(bare.length, 1);
    assert.equal(bare[0]!.backendClientCertificate, undefined);
    const seenBefore = backend.seen.length;
    const { plane: barePlane, port: barePort } = await startGatewayPlane(
      bare.map((e) => ({ ...e, listener: { ...e.listener, gatewayName: 'gw', port: 80 } })),
      () => ({ ok: true, endpoints: [makeEndpoint('127.0.0.1', backend.port)] }),
    );
    try {
      assert.equal((await plainRequest(barePort, '/mtls/x', { headers: { host: 'any.example' } })).status, 502);
      assert.equal(backend.seen.length, seenBefore);
    } finally {
      await barePlane.stop();
    }
  });
});
