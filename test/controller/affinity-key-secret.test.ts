// Pure: the key a Secret holds for --affinity-key-secret, and why one holds none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyOfSecret } from '../../src/controller/affinity-key-secret.js';

const secret = (data?: Record<string, string>) => ({ metadata: { name: 'k', namespace: 'ns' }, ...(data ? { data } : {}) });
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('the key is the text under "key", a trailing newline not part of it (as a mounted file reads)', () => {
  const hex = 'a'.repeat(64);
  for (const stored of [hex, `${hex}\n`, `${hex}\r\n`]) {
    const found = keyOfSecret(secret({ key: b64(stored) }));
    assert.ok('key' in found && found.key.equals(Buffer.from(hex)), JSON.stringify(stored));
  }
});

test('no Secret, no "key", or a key shorter than 16 characters: a problem, never a key', () => {
  assert.deepEqual(keyOfSecret(undefined), { problem: 'the Secret does not exist' });
  assert.deepEqual(keyOfSecret(secret()), { problem: 'the Secret has no "key"' });
  assert.deepEqual(keyOfSecret(secret({ other: b64('x'.repeat(32)) })), { problem: 'the Secret has no "key"' });
  assert.deepEqual(keyOfSecret(secret({ key: b64('short\n') })), { problem: 'the key must be at least 16 characters' });
});
