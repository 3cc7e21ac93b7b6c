// Pure: where Gateways are reachable. Shared mode: every Gateway has wsgate's own addresses (the
// --gateway-address values or wsgate's Service). Isolated mode (--gateway-address-pool): each
// Gateway gets one address of the pool, kept while the Gateway exists, so its listeners get
// sockets of their own (listener isolation between Gateways on the same port).

import net from 'node:net';
import type { GatewayStatusAddress } from '../gatewayapi/types.js';
import { bitsToIp, ipToBits } from '../net/ip-bits.js';

/** A --gateway-address value: an IP is an IPAddress, anything else a Hostname. */
export function statusAddress(value: string): GatewayStatusAddress {
  return { type: net.isIP(value) ? 'IPAddress' : 'Hostname', value };
}

/** The subset of a core/v1 Service read for addresses. */
export interface AddressedService {
  spec?: { clusterIP?: string; clusterIPs?: string[] };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

/** wsgate's Service as Gateway addresses: its load balancer's ingress, else its cluster IPs. */
export function serviceAddresses(svc: AddressedService | undefined): GatewayStatusAddress[] {
  if (!svc) return [];
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) =>
    i.ip ? [statusAddress(i.ip)] : i.hostname ? [statusAddress(i.hostname)] : [],
  );
  if (ingress.length) return ingress;
  const ips = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
  return ips.filter((ip) => net.isIP(ip)).map((ip) => ({ type: 'IPAddress', value: ip }));
}

export interface PoolRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

/**
 * The usable addresses of an IPv4 or IPv6 CIDR. IPv4: without the network and broadcast
 * addresses when the prefix leaves room for them (/30 and shorter), as a subnet's hosts are
 * counted. IPv6 has no broadcast: only the subnet-router anycast address (the first) is left out.
 */
export function parsePool(cidr: string): PoolRange {
  const m = /^([0-9A-Fa-f.:]+)\/(\d{1,3})$/.exec(cidr.trim());
  const family = m ? net.isIP(m[1]!) : 0;
  const bits = m ? Number(m[2]) : NaN;
  if (!m || (family !== 4 && family !== 6) || bits > (family === 4 ? 32 : 128) || (family === 6 && m[1]!.includes('.'))) {
    throw new Error(`"${cidr}" is not an IPv4 or IPv6 CIDR (for example 127.0.1.0/24, 10.20.0.0/28 or fd00:1::/120)`);
  }
  const size = 1n << BigInt((family === 4 ? 32 : 128) - bits);
  const ip = ipToBits(m[1]!, family);
  const base = ip - (ip % size);
  if (family === 6) return { family, first: size >= 2n ? base + 1n : base, last: base + size - 1n };
  return size >= 4n ? { family, first: base + 1n, last: base + size - 2n } : { family, first: base, last: base + size - 1n };
}

export interface PoolGateway {
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp?: string;
  /** spec.addresses values of type IPAddress (GatewayStaticAddresses): it gets the first one free in the pool, or none. */
  readonly requested?: readonly string[];
}

/**
 * Assigns pool addresses to Gateways. State lives in memory only: an assignment is kept while
 * its Gateway exists and freed when it is gone. New Gateways get the lowest free address in
 * the order (creationTimestamp, namespace/name), so a restarted wsgate, which assigns all at
 * once in that order, mostly gives every Gateway the address it had.
 */
export class AddressPool {
  private readonly range: PoolRange;
  private readonly assigned = new Map<string, bigint>();

  constructor(cidr: string) {
    this.range = parsePool(cidr);
  }

  /** How many Gateways can have an address (an IPv6 /64 counts as more than any cluster has). */
  get capacity(): number {
    return Number(this.range.last - this.range.first + 1n);
  }

  /** The pool's addresses among `values`, as numbers, in order. */
  private inPool(values: readonly string[] | undefined): bigint[] {
    return (values ?? []).filter((v) => net.isIP(v) === this.range.family).map((v) => ipToBits(v, this.range.family)).filter((n) => n >= this.range.first && n <= this.range.last);
  }

  /**
   * Gateway "ns/name" -> its address; a Gateway missing from the map found the pool exhausted,
   * or asked for addresses (`requested`) none of which is in the pool and free.
   */
  assign(gateways: readonly PoolGateway[]): Map<string, string> {
    const present = new Map(gateways.map((g) => [`${g.namespace}/${g.name}`, g]));
    for (const [k, n] of this.assigned) {
      const g = present.get(k);
      // A Gateway that asks for addresses holds one of them or none.
      if (!g || (g.requested?.length && !this.inPool(g.requested).includes(n))) this.assigned.delete(k);
    }
    const used = new Set(this.assigned.values());
    // Addresses some Gateway asks for are not handed to the others.
    const reserved = new Set([...present.values()].flatMap((g) => this.inPool(g.requested)));
    const waiting = [...present.entries()].filter(([k]) => !this.assigned.has(k)).sort(([ka, a], [kb, b]) => {
      const ta = a.creationTimestamp ?? '';
      const tb = b.creationTimestamp ?? '';
      if (ta !== tb) return ta < tb ? -1 : 1;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    let next = this.range.first;
    for (const [k, g] of waiting) {
      if (g.requested?.length) {
        const free = this.inPool(g.requested).find((n) => !used.has(n));
        if (free !== undefined) {
          this.assigned.set(k, free);
          used.add(free);
        }
        continue;
      }
      while (next <= this.range.last && (used.has(next) || reserved.has(next))) next += 1n;
      if (next > this.range.last) continue;
      this.assigned.set(k, next);
      used.add(next);
    }
    return new Map([...this.assigned].map(([k, n]) => [k, bitsToIp(n, this.range.family)]));
  }
}
