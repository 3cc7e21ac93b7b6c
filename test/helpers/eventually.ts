// The one polling helper of the test suites, for conditions no event announces.

import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it returns a value, at most `attempts` times `intervalMs` apart. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, attempts = 200, intervalMs = 50): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
