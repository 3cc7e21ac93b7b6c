import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planSockets, type AddressMode } from '../../src/controller/gateway-socket-plan.js';
import type { GatewayRouteEntry, ProgrammedListener } from '../../src/gatewayapi/model.js';
import { MAIN_LISTENER } from '../../src/routing/gateway-types.js';

const listener = (gatewayName: string, port: number, protocol: 'HTTP' | 'HTTPS' = 'HTTP', extra: Partial<ProgrammedListener> = {}): ProgrammedListener => ({
  gatewayNamespace: 'infra',
  gatewayName,
  listenerName: `${protocol.toLowerCase()}-${port}`,
  port,
  protocol,
  certificates: [],
  ...extra,
});

const entry = (gatewayName: string, port: number): GatewayRouteEntry =>
  ({ key: `HTTPRoute/apps/r/rule-0/match-0@infra/${gatewayName}/l${port}`, listener: { gatewayNamespace: 'infra', gatewayName, listenerName: `l${port}`, port, protocol: 'HTTP' } }) as unknown as GatewayRouteEntry;

const shared: AddressMode = { kind: 'shared' };
const main = { host: '0.0.0.0', port: 8080 };

describe('socket plan', () => {
  test('shared addresses: one *:<port> socket per port for every Gateway on it, on 0.0.0.0; the main port is the main listener', () => {
    const plan = planSockets([entry('a', 80), entry('b', 80), entry('a', 8080)], [listener('a', 80), listener('b', 80), listener('a', 8080)], shared, main);
    assert.deepEqual(plan.input.sockets, [{ key: '*:80', address: '0.0.0.0', port: 80, protocol: 'HTTP', certificates: [] }]);
    assert.deepEqual(plan.input.socketOf, { 'infra/a:80': '*:80', 'infra/b:80': '*:80', 'infra/a:8080': MAIN_LISTENER });
    assert.equal(plan.input.entries.length, 3);
    assert.equal(plan.problems.size, 0);
  });

  test('shared HTTPS port: the certificates of every Gateway on it, with their listener hostnames, once each', () => {
    const cert = (name: string) => ({ namespace: 'infra', name });
    const plan = planSockets(
      [],
      [
        listener('a', 443, 'HTTPS', { hostname: 'a.example.com', certificates: [cert('a')] }),
        listener('b', 443, 'HTTPS', { certificates: [cert('wild'), cert('a')] }),
        listener('c', 443, 'HTTPS', { hostname: 'a.example.com', certificates: [cert('a')] }),
      ],
      shared,
      main,
    );
    assert.deepEqual(plan.input.sockets[0]!.certificates, [
      { namespace: 'infra', name: 'a', hostname: 'a.example.com' },
      { namespace: 'infra', name: 'wild' },
      { namespace: 'infra', name: 'a' },
    ]);
  });

  test('shared port with two protocols: the first Gateway (namespace/name) keeps it, the other gets a problem and no socket', () => {
    const plan = planSockets([entry('a', 9000), entry('b', 9000)], [listener('b', 9000, 'HTTP'), listener('a', 9000, 'HTTPS')], shared, main);
    assert.deepEqual(plan.input.sockets.map((s) => `${s.key} ${s.protocol}`), ['*:9000 HTTPS']);
    assert.deepEqual(Object.keys(plan.input.socketOf), ['infra/a:9000']);
    assert.match(plan.problems.get('infra/b:9000')!, /served as HTTPS for another Gateway/);
    assert.deepEqual(plan.input.entries.map((e) => e.listener.gatewayName), ['a'], 'entries without a socket are dropped');
  });

  test('HTTPS on the main HTTP port (or HTTP on the main TLS port) is a problem; HTTPS on the TLS port is the main listener', () => {
    const plan = planSockets([], [listener('a', 8080, 'HTTPS'), listener('a', 8443, 'HTTPS'), listener('b', 8443, 'HTTP')], shared, { ...main, tlsHost: '0.0.0.0', tlsPort: 8443 });
    assert.deepEqual(plan.input.socketOf, { 'infra/a:8443': MAIN_LISTENER });
    assert.match(plan.problems.get('infra/a:8080')!, /wsgate's own HTTP listener/);
    assert.match(plan.problems.get('infra/b:8443')!, /wsgate's own HTTPS listener/);
  });

  test("shared addresses behind wsgate's Service: a Gateway on the Service port of --listen / --tls-listen is the main listener", () => {
    const plan = planSockets([], [listener('a', 80), listener('a', 443, 'HTTPS'), listener('b', 443, 'HTTP'), listener('a', 9000)], shared, { ...main, tlsHost: '0.0.0.0', tlsPort: 8443, servicePort: 80, serviceTlsPort: 443 });
    assert.deepEqual(plan.input.socketOf, { 'infra/a:80': MAIN_LISTENER, 'infra/a:443': MAIN_LISTENER, 'infra/a:9000': '*:9000' });
    assert.match(plan.problems.get('infra/b:443')!, /wsgate's own HTTPS listener/);
  });

  test('pool addresses: a socket per Gateway port on its own address; none for a Gateway without one', () => {
    const addresses: Record<string, string> = { 'infra/a': '127.0.1.1', 'infra/b': '127.0.1.2' };
    const isolated: AddressMode = { kind: 'isolated', addressOf: (ns, name) => addresses[`${ns}/${name}`] };
    const plan = planSockets(
      [entry('a', 80), entry('b', 80), entry('c', 80)],
      [listener('a', 80), listener('b', 80), listener('c', 80), listener('a', 8080)],
      isolated,
      { host: '127.0.0.1', port: 8080 },
    );
    assert.deepEqual(plan.input.sockets.map((s) => `${s.key} ${s.address}:${s.port}`), ['infra/a:80 127.0.1.1:80', 'infra/a:8080 127.0.1.1:8080', 'infra/b:80 127.0.1.2:80']);
    assert.deepEqual(plan.input.socketOf, { 'infra/a:80': 'infra/a:80', 'infra/a:8080': 'infra/a:8080', 'infra/b:80': 'infra/b:80' });
    assert.deepEqual(plan.input.entries.map((e) => e.listener.gatewayName), ['a', 'b']);
  });

  test('pool addresses with a wildcard main listener: its port stays on the main socket (a second bind would fail)', () => {
    const isolated: AddressMode = { kind: 'isolated', addressOf: () => '127.0.1.1' };
    const plan = planSockets([], [listener('a', 8080), listener('a', 80)], isolated, main);
    assert.deepEqual(plan.input.socketOf, { 'infra/a:80': 'infra/a:80', 'infra/a:8080': MAIN_LISTENER });
  });

  test('tls.options: a socket carries its listener\'s policy; another policy on the same socket, or one on the main TLS port, is a problem', () => {
    const cert = [{ namespace: 'infra', name: 'c' }];
    const strict = { minVersion: 'TLSv1.3' as const };
    const plan = planSockets(
      [],
      [
        listener('a', 443, 'HTTPS', { certificates: cert, tlsPolicy: strict }),
        listener('b', 443, 'HTTPS', { certificates: cert, tlsPolicy: { minVersion: 'TLSv1.2' } }),
        listener('c', 443, 'HTTPS', { certificates: cert, tlsPolicy: strict }),
        listener('d', 8443, 'HTTPS', { certificates: cert, tlsPolicy: strict }),
      ],
      shared,
      { ...main, tlsHost: '0.0.0.0', tlsPort: 8443 },
    );
    assert.deepEqual(plan.input.sockets.map((s) => [s.key, s.tlsPolicy]), [['*:443', strict]]);
    assert.deepEqual(plan.input.socketOf, { 'infra/a:443': '*:443', 'infra/c:443': '*:443' });
    assert.match(plan.problems.get('infra/b:443') ?? '', /other tls\.options/);
    assert.match(plan.problems.get('infra/d:8443') ?? '', /--tls-\* flags/);
  });

  test('client certificates: a socket carries its listeners\' validation; another one on the same shared socket, or any on the main TLS port, is a problem', () => {
    const cert = [{ namespace: 'infra', name: 'c' }];
    const strict = { mode: 'AllowValidOnly' as const, caPem: 'CA-A' };
    const plan = planSockets(
      [],
      [
        listener('a', 443, 'HTTPS', { certificates: cert, clientValidation: strict }),
        listener('b', 443, 'HTTPS', { certificates: cert, clientValidation: { ...strict, mode: 'AllowInsecureFallback' } }),
        listener('c', 443, 'HTTPS', { certificates: cert, clientValidation: { ...strict, caPem: 'CA-B' } }),
        listener('d', 443, 'HTTPS', { certificates: cert }),
        listener('e', 443, 'HTTPS', { certificates: cert, clientValidation: { ...strict } }),
        listener('f', 8443, 'HTTPS', { certificates: cert, clientValidation: strict }),
      ],
      shared,
      { ...main, tlsHost: '0.0.0.0', tlsPort: 8443 },
    );
    assert.deepEqual(plan.input.sockets.map((s) => [s.key, s.clientValidation]), [['*:443', strict]]);
    assert.deepEqual(plan.input.socketOf, { 'infra/a:443': '*:443', 'infra/e:443': '*:443' });
    for (const g of ['b', 'c', 'd']) assert.match(plan.problems.get(`infra/${g}:443`) ?? '', /another client certificate validation/);
    assert.match(plan.problems.get('infra/f:8443') ?? '', /needs a port of its own/);
  });

  test('shared addresses follow the main listener\'s family: [::] (dual-stack) when --listen is IPv6, 0.0.0.0 otherwise', () => {
    const on = (host: string) => planSockets([], [listener('a', 80)], shared, { host, port: 8080 }).input.sockets.map((s) => s.address);
    assert.deepEqual(on('::'), ['::']);
    assert.deepEqual(on('::1'), ['::']);
    assert.deepEqual(on('0.0.0.0'), ['0.0.0.0']);
    assert.deepEqual(on('127.0.0.1'), ['0.0.0.0']);
  });

  test('isolated IPv6 pool addresses: each Gateway\'s socket on its own IPv6 address', () => {
    const isolated: AddressMode = { kind: 'isolated', addressOf: (_ns, name) => (name === 'a' ? 'fd00:1::1' : 'fd00:1::2') };
    const plan = planSockets([], [listener('a', 80), listener('b', 80)], isolated, { host: '::', port: 8080 });
    assert.deepEqual(plan.input.sockets.map((s) => [s.key, s.address]), [['infra/a:80', 'fd00:1::1'], ['infra/b:80', 'fd00:1::2']]);
  });
});
