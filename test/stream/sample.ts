// A table snapshot with every kind of value the stream carries.

import { makeEndpoint } from '../../src/routing/types.js';
import type { TableSnapshot } from '../../src/workers/snapshot.js';
import { route } from '../fixtures.js';

export function sampleSnapshot(version: number): TableSnapshot {
  return {
    version,
    // A header named like a tag must stay a string: only Secret data is ever turned into bytes.
    routes: [route('chat', { match: { path: '/chat' }, requestHeaders: { set: { $b64: 'AAEC' } } })],
    services: [['default\u0000chat\u0000number:80', { ok: true, endpoints: [makeEndpoint('10.0.0.7', 8080), makeEndpoint('10.0.0.8', 8080, false)] }]],
    secrets: [
      ['default\u0000jwt', { ok: true, data: { 'jwks.json': Buffer.from('{"keys":[]}'), raw: Buffer.from([0, 1, 2, 255]) } }],
      ['default\u0000gone', { ok: false, reason: 'SecretNotFound', message: 'Secret default/gone not found' }],
    ],
  };
}
