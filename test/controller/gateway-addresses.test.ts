import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool, parsePool, serviceAddresses, statusAddress } from '../../src/controller/gateway-addresses.js';

const gw = (name: string, creationTimestamp: string, namespace = 'infra') => ({ namespace, name, creationTimestamp });

describe('address pool (--gateway-address-pool)', () => {
  test('a /24 leaves out the network and broadcast addresses; /31 and /32 use every address', () => {
    assert.deepEqual(parsePool('127.0.1.0/24'), { family: 4, first: 0x7f000101n, last: 0x7f0001fen });
    assert.equal(new AddressPool('10.0.0.0/30').capacity, 2);
    assert.equal(new AddressPool('10.0.0.4/31').capacity, 2);
    assert.equal(new AddressPool('10.0.0.9/32').capacity, 1);
    // Host bits set: the network the address is in.
    assert.deepEqual(parsePool('127.0.1.77/24'), parsePool('127.0.1.0/24'));
    for (const bad of ['127.0.1.0', '127.0.1.0/33', '300.0.0.0/8', 'fd00::/129', 'fd00::', 'fd00::zz/64', '::ffff:10.0.0.0/120', '']) assert.throws(() => parsePool(bad), /not an IPv4 or IPv6 CIDR/, bad);
  });

  test('an IPv6 pool: no broadcast, only the subnet-router anycast address (the first) left out; addresses in canonical form', () => {
    assert.deepEqual(parsePool('fd00:1::/120'), { family: 6, first: 0xfd000001000000000000000000000001n, last: 0xfd0000010000000000000000000000ffn });
    assert.equal(new AddressPool('fd00:1::/120').capacity, 255);
    assert.equal(new AddressPool('fd00:1::7/128').capacity, 1);
    assert.deepEqual(parsePool('fd00:1::4d/120'), parsePool('fd00:1::/120'));
    const now = new AddressPool('fd00:1:0:0:0:0:0:0/120').assign([gw('a', '2026-01-01T00:00:00Z'), gw('b', '2026-01-02T00:00:00Z')]);
    assert.deepEqual([now.get('infra/a'), now.get('infra/b')], ['fd00:1::1', 'fd00:1::2']);
    // A /64, as clusters hand out: the count saturates rather than overflowing, and assignment still works.
    const wide = new AddressPool('2001:db8:0:7::/64');
    assert.ok(wide.capacity > 1e18);
    assert.equal(wide.assign([gw('a', '2026-01-01T00:00:00Z')]).get('infra/a'), '2001:db8:0:7::1');
  });

  test('first assignment in creationTimestamp, then namespace/name order; the same on a restart', () => {
    const gateways = [gw('c', '2026-01-02T00:00:00Z'), gw('b', '2026-01-01T00:00:00Z', 'z'), gw('a', '2026-01-01T00:00:00Z', 'y'), gw('d', '2026-01-03T00:00:00Z')];
    const expected = new Map([
      ['y/a', '127.0.1.1'],
      ['z/b', '127.0.1.2'],
      ['infra/c', '127.0.1.3'],
      ['infra/d', '127.0.1.4'],
    ]);
    assert.deepEqual(new Map([...new AddressPool('127.0.1.0/24').assign(gateways)].sort()), new Map([...expected].sort()));
    assert.deepEqual(new Map([...new AddressPool('127.0.1.0/24').assign([...gateways].reverse())].sort()), new Map([...expected].sort()), 'input order does not matter');
  });

  test('assignments are kept while the Gateway exists; a deleted Gateway frees its address for the next', () => {
    const pool = new AddressPool('127.0.1.0/24');
    pool.assign([gw('a', '2026-01-01T00:00:00Z'), gw('b', '2026-01-02T00:00:00Z'), gw('c', '2026-01-03T00:00:00Z')]);
    // An older Gateway appearing later (created while wsgate was down) does not move the others.
    let now = pool.assign([gw('a', '2026-01-01T00:00:00Z'), gw('b', '2026-01-02T00:00:00Z'), gw('c', '2026-01-03T00:00:00Z'), gw('old', '2025-01-01T00:00:00Z')]);
    assert.equal(now.get('infra/a'), '127.0.1.1');
    assert.equal(now.get('infra/c'), '127.0.1.3');
    assert.equal(now.get('infra/old'), '127.0.1.4');
    now = pool.assign([gw('a', '2026-01-01T00:00:00Z'), gw('c', '2026-01-03T00:00:00Z'), gw('old', '2025-01-01T00:00:00Z')]);
    assert.equal(now.has('infra/b'), false);
    now = pool.assign([gw('a', '2026-01-01T00:00:00Z'), gw('c', '2026-01-03T00:00:00Z'), gw('old', '2025-01-01T00:00:00Z'), gw('e', '2026-02-01T00:00:00Z')]);
    assert.equal(now.get('infra/e'), '127.0.1.2', 'the lowest free address: the one b left');
  });

  test('an exhausted pool leaves the newest Gateways without an address until one is freed', () => {
    const pool = new AddressPool('10.0.0.0/30');
    const three = [gw('a', '2026-01-01T00:00:00Z'), gw('b', '2026-01-02T00:00:00Z'), gw('c', '2026-01-03T00:00:00Z')];
    const first = pool.assign(three);
    assert.deepEqual([...first.keys()].sort(), ['infra/a', 'infra/b']);
    const after = pool.assign(three.filter((g) => g.name !== 'a'));
    assert.equal(after.get('infra/c'), '10.0.0.1');
    assert.equal(after.get('infra/b'), '10.0.0.2');
  });
});

describe('shared addresses', () => {
  test('--gateway-address: IPs are IPAddress, anything else Hostname', () => {
    assert.deepEqual(statusAddress('10.1.2.3'), { type: 'IPAddress', value: '10.1.2.3' });
    assert.deepEqual(statusAddress('fd00::1'), { type: 'IPAddress', value: 'fd00::1' });
    assert.deepEqual(statusAddress('lb.example.com'), { type: 'Hostname', value: 'lb.example.com' });
  });

  test("wsgate's Service: load balancer ingress first, else its cluster IPs; headless or absent: none", () => {
    assert.deepEqual(
      serviceAddresses({ spec: { clusterIP: '10.96.0.5' }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'x.elb.example.com' }] } } }),
      [{ type: 'IPAddress', value: '203.0.113.7' }, { type: 'Hostname', value: 'x.elb.example.com' }],
    );
    assert.deepEqual(serviceAddresses({ spec: { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5', 'fd00::5'] } }), [
      { type: 'IPAddress', value: '10.96.0.5' },
      { type: 'IPAddress', value: 'fd00::5' },
    ]);
    assert.deepEqual(serviceAddresses({ spec: { clusterIP: 'None' } }), []);
    assert.deepEqual(serviceAddresses(undefined), []);
  });

  test('requested addresses (GatewayStaticAddresses): the first one free in the pool, never one another Gateway asks for', () => {
    const pool = new AddressPool('127.0.1.0/24');
    const asking = (name: string, created: string, requested: string[]) => ({ ...gw(name, created), requested });
    let now = pool.assign([gw('a', '2026-01-01T00:00:00Z'), asking('static', '2026-01-02T00:00:00Z', ['127.0.1.1', '127.0.1.250']), gw('b', '2026-01-03T00:00:00Z')]);
    // a had nothing yet and 127.0.1.1 is requested: a gets .2; static asks for .1 first and gets it.
    assert.deepEqual(Object.fromEntries(now), { 'infra/a': '127.0.1.2', 'infra/static': '127.0.1.1', 'infra/b': '127.0.1.3' });
    // Outside the pool (or another family): none, the translator reports AddressNotUsable.
    now = pool.assign([gw('a', '2026-01-01T00:00:00Z'), asking('static', '2026-01-02T00:00:00Z', ['192.0.2.9', 'fd00::1']), gw('b', '2026-01-03T00:00:00Z')]);
    assert.equal(now.has('infra/static'), false);
    // Held by another Gateway: none; asking for another then moves it there.
    now = pool.assign([gw('a', '2026-01-01T00:00:00Z'), asking('static', '2026-01-02T00:00:00Z', ['127.0.1.2']), gw('b', '2026-01-03T00:00:00Z')]);
    assert.equal(now.has('infra/static'), false);
    assert.equal(now.get('infra/a'), '127.0.1.2', 'an assignment is never taken away from a Gateway that has it');
    now = pool.assign([gw('a', '2026-01-01T00:00:00Z'), asking('static', '2026-01-02T00:00:00Z', ['192.0.2.9', '127.0.1.250']), gw('b', '2026-01-03T00:00:00Z')]);
    assert.equal(now.get('infra/static'), '127.0.1.250');
    // A new Gateway without a request skips the free address that is asked for.
    now = pool.assign([asking('static', '2026-01-02T00:00:00Z', ['127.0.1.250']), asking('other', '2026-01-04T00:00:00Z', ['127.0.1.1']), gw('c', '2026-01-05T00:00:00Z')]);
    assert.equal(now.get('infra/other'), '127.0.1.1');
    assert.equal(now.get('infra/c'), '127.0.1.2');
  });
});
