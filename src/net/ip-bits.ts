// Pure: IP addresses as numbers (BigInt: IPv6 has 128 bits) and back, for prefixes and ranges
// (the Gateway address pool, IPv6 clients grouped by prefix).

import net from 'node:net';

/**
 * The bits of an address of `family` that net.isIP accepts: IPv6 in any form Node takes,
 * "::" compressed or not, with an embedded IPv4 tail ("::ffff:10.0.0.1", "64:ff9b::1.2.3.4")
 * or a zone ("fe80::1%eth0": the zone names an interface, not bits of the address).
 */
export function ipToBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((n, part) => n * 256n + BigInt(part), 0n);
  const ip = address.split('%')[0]!;
  const tail4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  // An IPv4 tail is the last two groups.
  const hex = tail4 ? `${ip.slice(0, tail4.index)}${v4AsGroups(tail4[1]!)}` : ip;
  // Expand "::" so that every one of the eight groups is there.
  const [head, tail] = hex.includes('::') ? hex.split('::') : [hex, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => n * 65536n + BigInt(parseInt(g, 16)), 0n);
}

function v4AsGroups(v4: string): string {
  const n = Number(ipToBits(v4, 4));
  return `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
}

/** The address of `bits`; IPv6 in canonical form (RFC 5952: longest zero run as "::"), as Node prints addresses. */
export function bitsToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((n >> s) & 0xffffn).toString(16));
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** `bits` with all but the first `prefix` of `width` bits cleared. */
export function maskBits(bits: bigint, prefix: number, width: 32 | 128): bigint {
  const host = BigInt(width - prefix);
  return (bits >> host) << host;
}
