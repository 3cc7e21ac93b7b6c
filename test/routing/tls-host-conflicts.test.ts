// Two certificates for one TLS host: the older route keeps it and is told; the newer is refused.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocketRoute } from '../../src/api/types.js';
import { compile } from '../../src/routing/compile.js';
import { CERTIFICATE_CONFLICT_REASON } from '../../src/routing/tls-host-conflicts.js';
import { route } from '../fixtures.js';

function tlsRoute(name: string, day: number, hosts: string[], secret: string | undefined, namespace = 'apps'): WebSocketRoute {
  return route(name, { hosts, match: { path: `/${name}` }, ...(secret ? { tls: { secretRef: { name: secret } } } : {}) }, { namespace, creationTimestamp: `2026-01-0${day}T00:00:00Z` });
}

function accepted(routes: WebSocketRoute[]): Record<string, string> {
  const out = compile({ routes });
  return Object.fromEntries([...out.statuses].map(([k, s]) => [k, `${s.accepted.status}/${s.accepted.reason}`]));
}

describe('TLS host conflicts', () => {
  const cases: Array<{ name: string; routes: WebSocketRoute[]; want: Record<string, string> }> = [
    {
      name: 'two Secrets for one host: the older keeps it, the newer is refused',
      routes: [tlsRoute('b-new', 2, ['chat.example.com'], 'cert-b'), tlsRoute('a-old', 1, ['chat.example.com'], 'cert-a')],
      want: { 'apps/a-old': 'True/Accepted', 'apps/b-new': `False/${CERTIFICATE_CONFLICT_REASON}` },
    },
    {
      name: 'the same Secret on both routes is no conflict',
      routes: [tlsRoute('one', 1, ['chat.example.com'], 'cert'), tlsRoute('two', 2, ['chat.example.com'], 'cert')],
      want: { 'apps/one': 'True/Accepted', 'apps/two': 'True/Accepted' },
    },
    {
      name: 'a route without tls on the host brings no certificate',
      routes: [tlsRoute('tls', 1, ['chat.example.com'], 'cert'), tlsRoute('plain', 2, ['chat.example.com'], undefined)],
      want: { 'apps/tls': 'True/Accepted', 'apps/plain': 'True/Accepted' },
    },
    {
      name: 'a wildcard and an exact name are different SNI names',
      routes: [tlsRoute('wild', 1, ['*.example.com'], 'wild-cert'), tlsRoute('exact', 2, ['chat.example.com'], 'exact-cert')],
      want: { 'apps/wild': 'True/Accepted', 'apps/exact': 'True/Accepted' },
    },
    {
      name: 'Secrets of the same name in two namespaces are two certificates',
      routes: [tlsRoute('a', 1, ['chat.example.com'], 'cert', 'team-a'), tlsRoute('b', 2, ['chat.example.com'], 'cert', 'team-b')],
      want: { 'team-a/a': 'True/Accepted', 'team-b/b': `False/${CERTIFICATE_CONFLICT_REASON}` },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(accepted(c.routes), c.want));

  it('both routes are told: the refused one names the holder, the holder names the contender', () => {
    const out = compile({ routes: [tlsRoute('a-old', 1, ['chat.example.com'], 'cert-a'), tlsRoute('b-new', 2, ['chat.example.com'], 'cert-b')] });
    assert.match(out.statuses.get('apps/b-new')!.accepted.message, /TLS host "chat\.example\.com" already has the certificate of Secret apps\/cert-a \(route apps\/a-old/);
    assert.match(out.statuses.get('apps/a-old')!.accepted.message, /contested by route apps\/b-new \(Secret apps\/cert-b\)/);
    assert.deepEqual(out.table.routes.map((r) => r.key), ['apps/a-old']);
    // An incremental compile of the same objects says the same.
    const again = compile({ routes: [tlsRoute('a-old', 1, ['chat.example.com'], 'cert-a'), tlsRoute('b-new', 2, ['chat.example.com'], 'cert-b')] }, out);
    assert.equal(again.statuses.get('apps/a-old')!.accepted.message, out.statuses.get('apps/a-old')!.accepted.message);
  });
});
