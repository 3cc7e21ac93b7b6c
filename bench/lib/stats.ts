// Small statistics helpers: percentiles over sorted samples, medians, geometric means.

/** Percentile (0..100) of an ascending array, nearest-rank. NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function geomean(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length === 0) return Number.NaN;
  return Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
}

/** Rounds to `digits` significant digits for the JSON output (keeps it readable). */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? round(a / b, 3) : Number.NaN;
}
