// An HTTPRoute rule's retry (experimental channel), checked and defaulted. The CRD's bounds
// (codes 400-599, attempts >= 1) are checked again for input that did not pass an apiserver
// (route files, tests); the count and the wait the spec leaves open come from src/api/defaults.ts.

import { DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_BACKOFF_MS } from '../api/defaults.js';
import { parseDuration } from '../api/duration.js';
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
  let backoffMs = DEFAULT_RETRY_BACKOFF_MS;
  if (r.backoff !== undefined) {
    try {
      backoffMs = parseDuration(r.backoff);
    } catch {
      problems.push(`${where}.backoff "${r.backoff}" is not a duration`);
      valid = false;
    }
  }
  return valid ? { codes: [...new Set(codes)].sort((a, b) => a - b), attempts, backoffMs } : undefined;
}
