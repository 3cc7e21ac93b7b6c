// An HTTPRoute rule's retry (experimental channel), checked and defaulted. The CRD's bounds
// (codes 400-599, attempts >= 1) are checked again for input that did not pass an apiserver
// (route files, tests); the count and the wait the spec leaves open come from src/api/defaults.ts.
// A WebSocketRoute's spec.http.retry has the same fields and defaults (retryPolicyOf).

import { DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_BACKOFF_MS } from '../api/defaults.js';
import { MAX_TIMER_MS, parseDuration } from '../api/duration.js';
import type { RetryPolicy } from './model.js';
import type { HTTPRouteRetry } from './types.js';

export function translateRetry(r: HTTPRouteRetry, where: string, problems: string[]): RetryPolicy | undefined {
  const codes = r.codes ?? [];
  let valid = true;
  codes.forEach((code, k) => {
    if (!Number.isInteger(code) || code < 400 || code > 599) {
      problems.push(`${where}.codes[${k}] ${String(code)} is not a status code from 400 to 599`);
      valid = false;
    }
  });
  const attempts = r.attempts ?? DEFAULT_RETRY_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) {
    problems.push(`${where}.attempts ${String(attempts)} is not a whole number of at least 1`);
    valid = false;
  }
  if (r.backoff !== undefined) {
    try {
      const backoffMs = parseDuration(r.backoff);
      // A longer Node.js timer fires after 1ms: the backoff would be none.
      if (backoffMs > MAX_TIMER_MS) {
        problems.push(`${where}.backoff ${r.backoff} is longer than ${MAX_TIMER_MS}ms, the longest timer Node.js can set`);
        valid = false;
      }
    } catch {
      problems.push(`${where}.backoff "${r.backoff}" is not a duration`);
      valid = false;
    }
  }
  return valid ? retryPolicyOf(r) : undefined;
}

/** A checked retry (HTTPRoute rule, WebSocketRoute spec.http.retry) with its defaults filled in. */
export function retryPolicyOf(r: HTTPRouteRetry): RetryPolicy {
  return {
    codes: [...new Set(r.codes ?? [])].sort((a, b) => a - b),
    attempts: r.attempts ?? DEFAULT_RETRY_ATTEMPTS,
    backoffMs: r.backoff === undefined ? DEFAULT_RETRY_BACKOFF_MS : parseDuration(r.backoff),
  };
}
