import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchSignature, parseProxyHeader, V1_MAX_LENGTH, V2_MAX_LENGTH } from '../../src/net/proxy-protocol.js';
import { prng } from '../helpers/prng.js';
import { proxyV1, proxyV2, V2_SIGNATURE } from '../helpers/proxy-header.js';

const req = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');

function complete(buf: Buffer) {
  const r = parseProxyHeader(buf);
  assert.equal(r.state, 'complete', JSON.stringify(r));
  return r as Extract<typeof r, { state: 'complete' }>;
}

function invalid(buf: Buffer, reason: RegExp): void {
  const r = parseProxyHeader(buf);
  assert.equal(r.state, 'invalid', JSON.stringify(r));
  assert.match((r as { reason: string }).reason, reason);
}

describe('PROXY protocol v1', () => {
  it('TCP4 and TCP6: the source address and port, and the header length (bytes after it are not read)', () => {
    const h = proxyV1('192.0.2.10', 51000);
    const r = complete(Buffer.concat([h, req]));
    assert.deepEqual(r.source, { address: '192.0.2.10', port: 51000, family: 'IPv4' });
    assert.equal(r.length, h.length);
    assert.equal(r.version, 1);
    const r6 = complete(proxyV1('2001:DB8::5', 65535));
    assert.deepEqual(r6.source, { address: '2001:db8::5', port: 65535, family: 'IPv6' });
  });

  it('UNKNOWN: complete, no source (the connection\'s own peer is the client)', () => {
    const r = complete(Buffer.from('PROXY UNKNOWN ff:: 1.2.3.4 1 2\r\nGET'));
    assert.equal(r.source, undefined);
    assert.equal(complete(Buffer.from('PROXY UNKNOWN\r\n')).length, 15);
  });

  it('incomplete until the CRLF, at every cut of a valid header', () => {
    const h = proxyV1('2001:db8::1', 1234);
    for (let i = 0; i < h.length; i++) assert.equal(parseProxyHeader(h.subarray(0, i)).state, 'incomplete', `cut at ${i}`);
  });

  it('refuses bad families, addresses, ports, field counts, bytes and oversized lines', () => {
    invalid(Buffer.from('PROXY TCP4 2001:db8::1 127.0.0.1 1 2\r\n'), /not IPv4/);
    invalid(Buffer.from('PROXY TCP6 1.2.3.4 ::1 1 2\r\n'), /not IPv6/);
    invalid(Buffer.from('PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n'), /not TCP4/);
    invalid(Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n'), /port/);
    invalid(Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n'), /port/);
    invalid(Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n'), /needs/);
    invalid(Buffer.from('PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n'), /needs/);
    invalid(Buffer.from('PROXY TCP4 1.2.3.4\n'), /printable/);
    invalid(Buffer.from('PROXY TCP4 1.2.3.4 \x00'), /printable/);
    invalid(Buffer.from('PROXY ' + 'x'.repeat(V1_MAX_LENGTH)), /longer than 107/);
    invalid(Buffer.from('PROXY UNKNOWN ' + 'x'.repeat(V1_MAX_LENGTH - 15) + '\r\n'), /longer than 107/);
    assert.equal(complete(Buffer.from('PROXY UNKNOWN ' + 'x'.repeat(V1_MAX_LENGTH - 16) + '\r\n')).length, V1_MAX_LENGTH);
  });
});

describe('PROXY protocol v2', () => {
  it('PROXY over IPv4 and IPv6 (compressed and IPv4-mapped forms)', () => {
    const h = proxyV2({ src: '198.51.100.4', srcPort: 1234 });
    const r = complete(Buffer.concat([h, req]));
    assert.deepEqual(r.source, { address: '198.51.100.4', port: 1234, family: 'IPv4' });
    assert.equal(r.length, h.length);
    assert.equal(r.version, 2);
    assert.deepEqual(complete(proxyV2({ src: '2001:db8:0:0:1::9', srcPort: 8 })).source, { address: '2001:db8::1:0:0:9', port: 8, family: 'IPv6' });
    assert.equal(complete(proxyV2({ src: '::ffff:c000:205' })).source?.address, '::ffff:192.0.2.5');
  });

  it('LOCAL: no source whatever the address block says; UNSPEC and UNIX families likewise', () => {
    assert.equal(complete(proxyV2({ command: 'LOCAL' })).source, undefined);
    assert.equal(complete(proxyV2({ famProto: 0x00 })).source, undefined);
    // AF_UNIX: 216 bytes of addresses; here 12 of IPv4 and a 201-byte TLV make up the 216... plus one TLV.
    const unix = proxyV2({ famProto: 0x31, tlvs: [{ type: 0x04, value: Buffer.alloc(201) }, { type: 0x01, value: Buffer.from('h2') }] });
    const r = complete(unix);
    assert.equal(r.source, undefined);
    assert.equal(r.tlvs, 1);
    invalid(proxyV2({ famProto: 0x31 }), /shorter than 216/);
  });

  it('TLVs are walked and skipped; one that runs past the header is refused', () => {
    const tlvs = [
      { type: 0x01, value: Buffer.from('h2') },
      { type: 0x04, value: Buffer.alloc(0) },
      { type: 0xea, value: Buffer.from('vpce-0123456789abcdef0') },
    ];
    const r = complete(proxyV2({ tlvs }));
    assert.equal(r.tlvs, 3);
    assert.equal(r.source?.address, '203.0.113.7');
    // A TLV claiming 200 bytes in a header that has 5.
    const cut = proxyV2({ tlvs: [{ type: 0x01, value: Buffer.from('abcde') }] });
    cut.writeUInt16BE(200, cut.length - 7);
    invalid(cut, /TLV runs past/);
    // Two bytes of TLV: not even a type and length.
    const stub = proxyV2({ tlvs: [{ type: 0x01, value: Buffer.alloc(0) }] });
    stub.writeUInt16BE(stub.readUInt16BE(14) - 1, 14);
    invalid(stub.subarray(0, stub.length - 1), /TLV runs past/);
  });

  it('incomplete at every cut of a valid header', () => {
    const h = proxyV2({ src: '2001:db8::2', tlvs: [{ type: 0x02, value: Buffer.from('authority') }] });
    for (let i = 0; i < h.length; i++) assert.equal(parseProxyHeader(h.subarray(0, i)).state, 'incomplete', `cut at ${i}`);
  });

  it('refuses other versions and commands, undefined families, datagrams, short address blocks and oversized headers', () => {
    const h = () => proxyV2();
    const withByte = (i: number, v: number) => {
      const b = h();
      b[i] = v;
      return b;
    };
    invalid(withByte(12, 0x11), /version 1/);
    invalid(withByte(12, 0x22), /command 2/);
    invalid(withByte(13, 0x41), /not defined/);
    invalid(withByte(13, 0x13), /not defined/);
    invalid(withByte(13, 0x12), /datagram/);
    const short = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x21, 0, 12]), Buffer.alloc(12)]);
    invalid(short, /shorter than 36/);
    const big = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    invalid(big, new RegExp(`longer than ${V2_MAX_LENGTH}`));
  });
});

describe('PROXY protocol signature and garbage', () => {
  it('tells a header, a possible header and anything else from the first bytes', () => {
    assert.equal(matchSignature(Buffer.from('PROXY TCP4')), 'yes');
    assert.equal(matchSignature(V2_SIGNATURE), 'yes');
    assert.equal(matchSignature(Buffer.from('PRO')), 'maybe');
    assert.equal(matchSignature(Buffer.from([0x0d, 0x0a])), 'maybe');
    assert.equal(matchSignature(Buffer.alloc(0)), 'maybe');
    assert.equal(matchSignature(Buffer.from('POST /')), 'no');
    assert.equal(matchSignature(Buffer.from([0x16, 0x03, 0x01])), 'no');
    invalid(req, /no PROXY protocol signature/);
    invalid(Buffer.from([0x16, 0x03, 0x01, 0x00]), /no PROXY protocol signature/);
  });

  it('fuzz: random, mutated and truncated headers never throw, and every answer is bounded', () => {
    const rand = prng(24);
    const seeds = [proxyV1('192.0.2.1', 1), proxyV1('2001:db8::1', 2), proxyV2(), proxyV2({ src: '2001:db8::3', tlvs: [{ type: 1, value: Buffer.from('h2') }] }), proxyV2({ command: 'LOCAL' })];
    const counts = { incomplete: 0, invalid: 0, complete: 0 };
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      const kind = i % 4;
      if (kind === 0) {
        // Pure noise, sometimes behind a real signature so the length and TLV paths run.
        buf = Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
        if (rand() < 0.5) buf = Buffer.concat([rand() < 0.5 ? V2_SIGNATURE : Buffer.from('PROXY '), buf]);
      } else {
        buf = Buffer.from(seeds[Math.floor(rand() * seeds.length)]!);
        // A few byte flips, then maybe a cut.
        for (let f = Math.floor(rand() * 4); f > 0; f--) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
        if (kind === 3) buf = buf.subarray(0, Math.floor(rand() * buf.length));
      }
      const r = parseProxyHeader(buf);
      counts[r.state]++;
      if (r.state === 'complete') {
        assert.ok(r.length > 0 && r.length <= buf.length, `length ${r.length} within the ${buf.length} bytes`);
        if (r.source) assert.ok(r.source.port >= 0 && r.source.port <= 65535);
      }
      if (r.state === 'incomplete') {
        assert.ok(buf.length < V2_MAX_LENGTH, 'never waits past the largest header');
        assert.notEqual(matchSignature(buf), 'no');
      }
    }
    // Every branch was reached: the fuzz is not stuck on one answer.
    assert.ok(counts.incomplete > 100 && counts.invalid > 100 && counts.complete > 100, JSON.stringify(counts));
  });
});
