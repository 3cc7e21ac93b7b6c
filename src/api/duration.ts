// Durations as written in routes: a sequence of number+unit parts, `500ms`, `5s`, `1m30s`,
// `1.5s`, `1h`. The same grammar as the CRD's pattern (no sign, no spaces, no `us`/`ns`), so a
// value the apiserver accepts always parses here.

const DURATION = /^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Longest delay Node.js timers honour; a longer one fires after 1ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export class DurationError extends Error {
  override name = 'DurationError';
}

/** Milliseconds in `s` (may be fractional, e.g. `1.5ms`). Throws DurationError when invalid. */
export function parseDuration(s: string): number {
  if (typeof s !== 'string' || !DURATION.test(s)) {
    throw new DurationError(`"${String(s)}" is not a duration: use a number and unit such as 500ms, 5s, 1m30s or 1h`);
  }
  let total = 0;
  for (const m of s.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  // Very long digit strings overflow to Infinity: refuse rather than hand a timer nonsense.
  if (!Number.isFinite(total)) throw new DurationError(`"${s}" is too long a duration`);
  return total;
}
