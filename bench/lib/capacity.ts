// The connection-capacity row: how many idle proxied connections fit in a fixed RSS budget,
// estimated from the memory scenario's RSS at two held counts instead of holding ~100k real
// connections (which would need 200k descriptors and minutes of connects on a small machine).

export const RSS_BUDGET_BYTES = 2 ** 30;

export interface RssPoint {
  held: number;
  rssBytes: number;
}

export interface CapacityEstimate {
  /** Idle connections whose RSS stays within the budget (extrapolated). */
  connections: number;
  /** RSS growth per connection between the two counts (the slope used). */
  marginalBytesPerConnection: number;
}

export const CAPACITY_METHOD =
  'RSS taken as linear in the idle connections held: RSS(n) = RSS(N) + (n - N) x slope, the slope measured between N/2 and N held ' +
  '(past the warm-up and the first pool and heap growth); capacity = N + (budget - RSS(N)) / slope. Only the proxy\'s RSS counts: ' +
  'kernel socket memory and the descriptors (2 per connection) are not in it.';

/** Capacity within `budget` from RSS at two held counts; undefined when the slope is not positive (noise). */
export function capacityWithin(budget: number, low: RssPoint, high: RssPoint): CapacityEstimate | undefined {
  const dn = high.held - low.held;
  if (dn <= 0) return undefined;
  const slope = (high.rssBytes - low.rssBytes) / dn;
  if (!(slope > 0)) return undefined;
  return { connections: Math.floor(high.held + (budget - high.rssBytes) / slope), marginalBytesPerConnection: Math.round(slope) };
}
