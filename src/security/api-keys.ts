// API keys: every value of the referenced Secret (or the one under `key`) is a valid key. Keys
// are kept only as SHA-256 digests and compared in constant time against every stored digest,
// so neither timing nor an early exit tells how much of a guess was right.

import { createHash, timingSafeEqual } from 'node:crypto';

export interface ApiKeyVerifier {
  /** Lower-cased. */
  readonly header: string;
  readonly query: string | undefined;
  readonly digests: readonly Buffer[];
}

const MAX_KEY_LENGTH = 4096;

export function compileApiKeys(
  spec: { header?: string; query?: string },
  values: readonly Buffer[],
): { ok: true; verifier: ApiKeyVerifier } | { ok: false; message: string } {
  // Surrounding whitespace (a trailing newline from `echo` or an editor) is not part of a key.
  const keys = values.map((v) => v.toString('utf8').trim()).filter((k) => k.length > 0);
  if (keys.length === 0) return { ok: false, message: 'the Secret holds no non-empty API key' };
  return {
    ok: true,
    verifier: { header: (spec.header ?? 'x-api-key').toLowerCase(), query: spec.query, digests: keys.map(digest) },
  };
}

export function apiKeyValid(v: ApiKeyVerifier, candidate: string): boolean {
  if (candidate.length === 0 || candidate.length > MAX_KEY_LENGTH) return false;
  const d = digest(candidate);
  let ok = false;
  for (const stored of v.digests) ok = timingSafeEqual(d, stored) || ok;
  return ok;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
