// PROXY protocol headers as a balancer writes them (HAProxy spec, versions 1 and 2), for tests.

import { isIPv4 } from 'node:net';

export function proxyV1(src: string, srcPort: number, dst = isIPv4(src) ? '127.0.0.1' : '::1', dstPort = 443): Buffer {
  return Buffer.from(`PROXY ${isIPv4(src) ? 'TCP4' : 'TCP6'} ${src} ${dst} ${srcPort} ${dstPort}\r\n`, 'latin1');
}

export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export interface V2Options {
  command?: 'PROXY' | 'LOCAL';
  src?: string;
  srcPort?: number;
  /** Type-length-value entries after the addresses. */
  tlvs?: Array<{ type: number; value: Buffer }>;
  /** Raw family/transport byte (default: from src, STREAM). */
  famProto?: number;
}

export function proxyV2(opts: V2Options = {}): Buffer {
  const src = opts.src ?? '203.0.113.7';
  const v4 = isIPv4(src);
  const addresses = v4
    ? Buffer.concat([ipv4Bytes(src), ipv4Bytes('127.0.0.1'), port(opts.srcPort ?? 40000), port(443)])
    : Buffer.concat([ipv6Bytes(src), ipv6Bytes('::1'), port(opts.srcPort ?? 40000), port(443)]);
  const tlvs = Buffer.concat((opts.tlvs ?? []).map((t) => Buffer.concat([Buffer.from([t.type]), port(t.value.length), t.value])));
  const body = Buffer.concat([addresses, tlvs]);
  const fixed = Buffer.from([opts.command === 'LOCAL' ? 0x20 : 0x21, opts.famProto ?? (v4 ? 0x11 : 0x21), 0, 0]);
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

function port(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function ipv4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

/** Full or "::"-compressed IPv6 text (no embedded IPv4) to 16 bytes. */
function ipv6Bytes(a: string): Buffer {
  const [head = '', tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
