// Consistent hashing with virtual nodes: each endpoint owns VNODES points on a 32-bit ring and
// a key goes to the first point at or after its hash. Removing one of N endpoints moves only
// the keys it owned (about 1/N); the others keep their endpoint.

import type { Endpoint } from '../routing/types.js';

const VNODES = 160;

/** FNV-1a, 32-bit: fast, no allocation, good enough spread for ring placement. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so similar keys spread over the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HashRing {
  private readonly points: Uint32Array;
  private readonly owners: Uint32Array;

  constructor(readonly endpoints: readonly Endpoint[]) {
    const entries: Array<[number, number]> = [];
    endpoints.forEach((e, idx) => {
      for (let v = 0; v < VNODES; v++) entries.push([hash32(`${e.id}#${v}`), idx]);
    });
    // Ties (rare) are broken by endpoint id so every replica builds the same ring.
    entries.sort((a, b) => a[0] - b[0] || (endpoints[a[1]]!.id < endpoints[b[1]]!.id ? -1 : 1));
    this.points = Uint32Array.from(entries, (e) => e[0]);
    this.owners = Uint32Array.from(entries, (e) => e[1]);
  }

  /** The owner of `key`, skipping endpoints `skip` rejects (walks on around the ring). */
  lookup(key: string, skip?: (e: Endpoint) => boolean): Endpoint | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    const h = hash32(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < n; k++) {
      const e = this.endpoints[this.owners[(lo + k) % n]!]!;
      if (!skip || !skip(e)) return e;
    }
    return undefined;
  }
}

const rings = new WeakMap<readonly Endpoint[], HashRing>();

/** Rings are built once per endpoint list of a compiled (immutable) route. */
export function ringFor(endpoints: readonly Endpoint[]): HashRing {
  let ring = rings.get(endpoints);
  if (!ring) rings.set(endpoints, (ring = new HashRing(endpoints)));
  return ring;
}
