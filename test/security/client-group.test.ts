import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CLIENT_IPV6_PREFIX } from '../../src/api/defaults.js';
import { clientAddress, normalizeAddress } from '../../src/security/client-address.js';
import { clientGroup, ipv6PrefixProblem } from '../../src/security/client-group.js';

describe('client group (--client-ipv6-prefix)', () => {
  it('reduces an IPv6 client to its /64 by default', () => {
    assert.equal(DEFAULT_CLIENT_IPV6_PREFIX, 64);
    assert.equal(clientGroup('::1', 64), '::/64');
    assert.equal(clientGroup('fd00::1', 64), 'fd00::/64');
    assert.equal(clientGroup('fd00::2', 64), 'fd00::/64');
    assert.equal(clientGroup('fd00:0:0:1::2', 64), 'fd00:0:0:1::/64');
    assert.equal(clientGroup('2001:db8:1:2:3:4:5:6', 64), '2001:db8:1:2::/64');
    // Spelled out, uppercase: the same group as the canonical spelling.
    assert.equal(clientGroup('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', 64), '2001:db8:1:2::/64');
  });

  it('other prefix lengths, including ones that cut inside a group', () => {
    assert.equal(clientGroup('2001:db8:abcd:1234::9', 56), '2001:db8:abcd:1200::/56');
    assert.equal(clientGroup('2001:db8:abcd:1234::9', 48), '2001:db8:abcd::/48');
    assert.equal(clientGroup('2001:db8:abcd:1234::9', 127), '2001:db8:abcd:1234::8/127');
    assert.equal(clientGroup('2001:db8:abcd:1234::9', 0), '::/0');
  });

  it('128 keeps each address; IPv4 and text that is no address are unchanged', () => {
    assert.equal(clientGroup('fd00::1', 128), 'fd00::1');
    assert.equal(clientGroup('203.0.113.9', 64), '203.0.113.9');
    assert.equal(clientGroup('203.0.113.9', 8), '203.0.113.9');
    assert.equal(clientGroup('', 64), '');
    assert.equal(clientGroup('unknown', 64), 'unknown');
  });

  it('a zone names the interface: fe80::1%eth0 is in fe80::/64', () => {
    assert.equal(clientGroup('fe80::1%eth0', 64), 'fe80::/64');
  });

  it('an embedded IPv4 tail is read as the last 32 bits', () => {
    assert.equal(clientGroup('64:ff9b::198.51.100.7', 120), '64:ff9b::c633:6400/120');
  });

  it('IPv4-mapped IPv6 is the IPv4 client, in both spellings, and so never grouped by the IPv6 prefix', () => {
    for (const mapped of ['::ffff:198.51.100.7', '::ffff:c633:6407', '0:0:0:0:0:ffff:c633:6407', '::FFFF:C633:6407']) {
      assert.equal(normalizeAddress(mapped), '198.51.100.7', mapped);
      assert.equal(clientGroup(clientAddress(mapped, undefined, undefined), 64), '198.51.100.7', mapped);
    }
    // Not mapped: ffff elsewhere in the address.
    assert.equal(normalizeAddress('fd00::ffff:1'), 'fd00::ffff:1');
    assert.equal(normalizeAddress('::ffff:0:c633:6407'), '::ffff:0:c633:6407');
  });

  it('the flag takes 0 to 128', () => {
    for (const ok of ['0', '48', '64', '128']) assert.equal(ipv6PrefixProblem(ok), undefined, ok);
    for (const bad of ['129', '-1', '64.5', '', '/64', '1000']) assert.match(ipv6PrefixProblem(bad) ?? '', /is not an IPv6 prefix length/, bad);
  });
});
