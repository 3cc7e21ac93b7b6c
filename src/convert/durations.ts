// Durations between the inputs' units (nginx seconds or time strings, Ocelot milliseconds)
// and wsgate's duration strings, written in the largest unit that is exact: 3600 s -> "1h".

import { MAX_TIMER_MS } from '../api/duration.js';

const NGINX_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * An nginx time value: a bare number is seconds (what ingress-nginx annotations take), or
 * number+unit parts such as "90s", "1h30m" (nginx's own syntax, used by nginx.org annotations).
 */
export function parseNginxTime(value: string): number | undefined {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/^(\d+(ms|s|m|h|d|w))+$/.test(v)) return undefined;
  let total = 0;
  for (const m of v.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * NGINX_UNIT_MS[m[2]!]!;
  return total;
}

/** A duration wsgate can hold in a timer (see src/api/semantic.ts). */
export function fitsTimer(ms: number): boolean {
  return ms > 0 && ms <= MAX_TIMER_MS;
}
