import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddress, normalizeAddress, TrustedProxies } from '../../src/security/client-address.js';

describe('client address', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8', 'fd00::/8', '192.168.1.1']);

  it('parses CIDRs and single addresses, refusing junk', () => {
    assert.ok(trusted.contains('10.1.2.3'));
    assert.ok(trusted.contains('::ffff:10.1.2.3'));
    assert.ok(trusted.contains('fd00::5'));
    assert.ok(trusted.contains('192.168.1.1'));
    assert.equal(trusted.contains('192.168.1.2'), false);
    assert.throws(() => new TrustedProxies(['10.0.0.0/33']));
    assert.throws(() => new TrustedProxies(['nope']));
  });

  it('normalizes mapped IPv4, brackets and ports', () => {
    assert.equal(normalizeAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeAddress('[fd00::1]:443'), 'fd00::1');
    assert.equal(normalizeAddress('1.2.3.4:5678'), '1.2.3.4');
  });

  it('without trusted proxies the peer is the client, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress('203.0.113.9', '1.1.1.1', undefined), '203.0.113.9');
    assert.equal(clientAddress('203.0.113.9', '1.1.1.1', trusted), '203.0.113.9');
  });

  it('behind trusted proxies: the right-most untrusted hop', () => {
    assert.equal(clientAddress('10.0.0.1', '6.6.6.6, 203.0.113.9, 10.0.0.2', trusted), '203.0.113.9');
    assert.equal(clientAddress('10.0.0.1', '203.0.113.9', trusted), '203.0.113.9');
    assert.equal(clientAddress('10.0.0.1', ['6.6.6.6', '203.0.113.9'], trusted), '203.0.113.9');
  });

  it('all hops trusted: the left-most; junk stops the walk; no header: the peer', () => {
    assert.equal(clientAddress('10.0.0.1', '10.0.0.3, 10.0.0.2', trusted), '10.0.0.3');
    assert.equal(clientAddress('10.0.0.1', 'garbage, 10.0.0.2', trusted), '10.0.0.2');
    assert.equal(clientAddress('10.0.0.1', undefined, trusted), '10.0.0.1');
  });
});
