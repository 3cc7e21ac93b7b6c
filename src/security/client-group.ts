// The client a per-client limit or sourceIP hash counts: the client address (client-address.ts),
// except that an IPv6 client is reduced to its prefix (--client-ipv6-prefix, default /64). One
// IPv6 host usually holds a whole /64 and may pick a new address in it for every connection
// (privacy addresses, RFC 8981), so counting each address would let it walk around
// maxConnectionsPerClient and upgradesPerSecondPerClient. X-Forwarded-For, Forwarded and the
// access log keep the full address.

import { isIP } from 'node:net';
import { bitsToIp, maskBits, ipToBits } from '../net/ip-bits.js';

/** "2001:db8:1:2:3:4:5:6" at /64 -> "2001:db8:1:2::/64"; IPv4, /128 and text that is no address unchanged. */
export function clientGroup(client: string, ipv6Prefix: number): string {
  if (ipv6Prefix >= 128 || isIP(client) !== 6) return client;
  return `${bitsToIp(maskBits(ipToBits(client, 6), ipv6Prefix, 128), 6)}/${ipv6Prefix}`;
}

/** A --client-ipv6-prefix value: 0 to 128; the problem as a sentence, or undefined. */
export function ipv6PrefixProblem(value: string): string | undefined {
  return /^\d{1,3}$/.test(value) && Number(value) <= 128 ? undefined : `"${value}" is not an IPv6 prefix length (0 to 128)`;
}
