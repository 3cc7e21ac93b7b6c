// Who the client is, for per-client limits, X-Forwarded-For and the access log: the socket's
// peer address, unless that peer is a trusted proxy (--trusted-proxies); then the right-most
// X-Forwarded-For entry that is not itself a trusted proxy. Entries left of it were written by
// the client and prove nothing.

import { BlockList, isIP } from 'node:net';
import { bitsToIp, ipToBits } from '../net/ip-bits.js';

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  /** @param cidrs "10.0.0.0/8", "fd00::/8", or single addresses. Throws on a bad entry. */
  constructor(cidrs: readonly string[]) {
    for (const raw of cidrs) {
      const [addr = '', bits] = raw.trim().split('/');
      const family = isIP(addr);
      if (family === 0) throw new Error(`"${raw}" is not an IP address or CIDR range`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) {
        this.list.addAddress(addr, type);
        continue;
      }
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) throw new Error(`"${raw}" has a bad prefix length`);
      this.list.addSubnet(addr, prefix, type);
    }
    this.size = cidrs.length;
  }

  contains(address: string): boolean {
    const a = normalizeAddress(address);
    const family = isIP(a);
    if (family === 0) return false;
    return this.list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * "::ffff:10.0.0.1" (and "::ffff:a00:1", its hex spelling) -> "10.0.0.1": an IPv4-mapped IPv6
 * address is the IPv4 client it maps. "[fd00::1]:443" and "10.0.0.1:443" lose the port; other
 * text is kept.
 */
export function normalizeAddress(raw: string): string {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed) a = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  if (/^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(a)) return a.slice(7);
  a = a.toLowerCase();
  // Only a string holding "ffff" can be mapped: the parse is skipped for every other address.
  if (a.includes('ffff') && isIP(a) === 6) {
    const bits = ipToBits(a, 6);
    if (bits >> 32n === 0xffffn) return bitsToIp(bits & 0xffffffffn, 4);
  }
  return a;
}

/**
 * The client of a request. Behind trusted proxies, X-Forwarded-For is read from the right,
 * skipping trusted hops; an entry that is not an address stops the walk at the last address
 * known to be good.
 */
export function clientAddress(peer: string | undefined, xff: string | string[] | undefined, trusted: TrustedProxies | undefined): string {
  const direct = normalizeAddress(peer ?? '');
  if (!trusted || trusted.size === 0 || !trusted.contains(direct)) return direct;
  const header = Array.isArray(xff) ? xff.join(',') : (xff ?? '');
  const hops = header.split(',').map((h) => h.trim()).filter((h) => h.length > 0);
  let client = direct;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!);
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trusted.contains(hop)) break;
  }
  return client;
}
