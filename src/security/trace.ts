// W3C Trace Context: a valid `traceparent` is passed through unchanged; a missing or invalid one
// is replaced by a new trace (random trace id and span id, sampled), and then any `tracestate`
// is dropped since it belonged to no valid trace.

import { randomFillSync } from 'node:crypto';

// Random bytes for new trace contexts come from one pool refilled 4 KiB at a time: one
// getrandom() per 170 traces instead of two per request.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `n` random bytes (n <= 64) from the pool; valid until the next call. */
function pooledRandom(n: number): Buffer {
  if (poolOffset + n > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export function isValidTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  if (!m) return false;
  const [, version, traceId, spanId, , rest] = m;
  if (version === 'ff') return false;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return false;
  // Version 00 has exactly four fields; later versions may append more after a '-'.
  if (version === '00' && rest !== undefined) return false;
  return true;
}

export function newTraceparent(random: (n: number) => Buffer = pooledRandom): string {
  let traceId = random(16).toString('hex');
  let spanId = random(8).toString('hex');
  if (/^0+$/.test(traceId)) traceId = traceId.slice(0, -1) + '1';
  if (/^0+$/.test(spanId)) spanId = spanId.slice(0, -1) + '1';
  return `00-${traceId}-${spanId}-01`;
}

/** The traceparent to forward and whether wsgate started the trace. Duplicate headers are invalid. */
export function traceparentFor(value: string | string[] | undefined): { value: string; started: boolean } {
  if (typeof value === 'string' && isValidTraceparent(value)) return { value, started: false };
  return { value: newTraceparent(), started: true };
}
