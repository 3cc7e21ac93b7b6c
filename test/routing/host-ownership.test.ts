// --host-ownership namespace: the namespace of a host's oldest accepted route owns it; routes of
// other namespaces for it are refused unless the owner shares it. Table-driven through compile().

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostOwnership, WebSocketRoute } from '../../src/api/types.js';
import { compile } from '../../src/routing/compile.js';
import { HOST_OWNED_REASON } from '../../src/routing/host-ownership.js';
import { compileRecorded, snapshotInput } from '../../src/workers/snapshot.js';
import { route } from '../fixtures.js';

let day = 0;
/** A route of `namespace`, created after every route made before it. */
function at(namespace: string, name: string, hosts: string[], extra: Partial<WebSocketRoute['spec']> = {}): WebSocketRoute {
  day++;
  return route(name, { hosts, match: { path: `/${name}` }, ...extra }, { namespace, creationTimestamp: `2026-01-${String(day).padStart(2, '0')}T00:00:00Z` });
}

/** "ns/name" -> "True" or the refusal reason. */
function outcome(routes: WebSocketRoute[], mode: HostOwnership): Record<string, string> {
  const out = compile({ routes, hostOwnership: mode });
  return Object.fromEntries([...out.statuses].map(([k, s]) => [k, s.accepted.status === 'True' ? 'True' : s.accepted.reason]));
}

describe('host ownership', () => {
  const cases: Array<{ name: string; routes: () => WebSocketRoute[]; namespace: Record<string, string>; shared?: Record<string, string> }> = [
    {
      name: 'another namespace cannot take a more specific path on an owned host',
      routes: () => [at('team-a', 'chat', ['chat.example.com']), at('team-b', 'steal', ['chat.example.com'])],
      namespace: { 'team-a/chat': 'True', 'team-b/steal': HOST_OWNED_REASON },
      shared: { 'team-a/chat': 'True', 'team-b/steal': 'True' },
    },
    {
      name: 'the oldest route owns the host, whatever the order of names',
      routes: () => [at('zeta', 'first', ['h.example.com']), at('alpha', 'second', ['h.example.com'])],
      namespace: { 'zeta/first': 'True', 'alpha/second': HOST_OWNED_REASON },
    },
    {
      name: 'the owner namespace may add routes on its host',
      routes: () => [at('team-a', 'one', ['h.example.com']), at('team-a', 'two', ['h.example.com'])],
      namespace: { 'team-a/one': 'True', 'team-a/two': 'True' },
    },
    {
      name: 'an owner route shares the host with a named namespace, not with others',
      routes: () => [
        at('team-a', 'chat', ['h.example.com'], { hostSharing: { namespaces: ['team-b'] } }),
        at('team-b', 'guest', ['h.example.com']),
        at('team-c', 'stranger', ['h.example.com']),
      ],
      namespace: { 'team-a/chat': 'True', 'team-b/guest': 'True', 'team-c/stranger': HOST_OWNED_REASON },
    },
    {
      name: 'sharing named by a route of another namespace counts for nothing',
      routes: () => [
        at('team-a', 'chat', ['h.example.com']),
        at('team-c', 'claims', ['other.example.com'], { hostSharing: { namespaces: ['team-b'] } }),
        at('team-b', 'guest', ['h.example.com']),
      ],
      namespace: { 'team-a/chat': 'True', 'team-c/claims': 'True', 'team-b/guest': HOST_OWNED_REASON },
    },
    {
      name: 'a refused route owns none of its other hosts',
      routes: () => [at('team-a', 'chat', ['a.example.com']), at('team-b', 'both', ['a.example.com', 'b.example.com']), at('team-c', 'later', ['b.example.com'])],
      namespace: { 'team-a/chat': 'True', 'team-b/both': HOST_OWNED_REASON, 'team-c/later': 'True' },
    },
    {
      name: 'routes without hosts own nothing and are not refused',
      routes: () => [at('team-a', 'any', []), at('team-b', 'chat', ['h.example.com']), at('team-c', 'any2', [])],
      namespace: { 'team-a/any': 'True', 'team-b/chat': 'True', 'team-c/any2': 'True' },
    },
    {
      name: 'a wildcard is a host of its own',
      routes: () => [at('team-a', 'wild', ['*.example.com']), at('team-b', 'exact', ['a.example.com']), at('team-c', 'wild2', ['*.example.com'])],
      namespace: { 'team-a/wild': 'True', 'team-b/exact': 'True', 'team-c/wild2': HOST_OWNED_REASON },
    },
  ];
  for (const c of cases) {
    it(`namespace: ${c.name}`, () => assert.deepEqual(outcome(c.routes(), 'namespace'), c.namespace));
    if (c.shared) it(`shared: ${c.name}`, () => assert.deepEqual(outcome(c.routes(), 'shared'), c.shared));
  }

  it('the refusal names the host and the owner, and the refused route is not in the table', () => {
    const out = compile({ routes: [at('team-a', 'chat', ['chat.example.com']), at('team-b', 'steal', ['chat.example.com'])], hostOwnership: 'namespace' });
    const st = out.statuses.get('team-b/steal')!;
    assert.equal(st.accepted.status, 'False');
    assert.match(st.accepted.message, /host "chat\.example\.com" is owned by namespace team-a \(route team-a\/chat/);
    assert.deepEqual(out.table.routes.map((r) => r.key), ['team-a/chat']);
  });

  it('a refused route does not take part in path conflicts', () => {
    // Same path: without ownership the newer would be a Conflict; with it, refused for the host.
    const a = at('team-a', 'chat', ['h.example.com']);
    const b = route('chat', { hosts: ['h.example.com'], match: { path: '/chat' } }, { namespace: 'team-b', creationTimestamp: '2026-12-01T00:00:00Z' });
    assert.deepEqual(outcome([a, b], 'namespace'), { 'team-a/chat': 'True', 'team-b/chat': HOST_OWNED_REASON });
    assert.deepEqual(outcome([a, b], 'shared'), { 'team-a/chat': 'True', 'team-b/chat': 'Conflict' });
  });

  it('travels in the snapshot: a worker or proxy refuses the same routes', () => {
    const routes = [at('team-a', 'chat', ['h.example.com']), at('team-b', 'steal', ['h.example.com'])];
    const { out, snapshot } = compileRecorded({ routes, hostOwnership: 'namespace' }, undefined, []);
    const replayed = compile(snapshotInput(JSON.parse(JSON.stringify(snapshot))));
    assert.deepEqual(replayed.table.routes.map((r) => r.key), out.table.routes.map((r) => r.key));
    assert.deepEqual(replayed.table.routes.map((r) => r.key), ['team-a/chat']);
  });

  it('an incremental compile keeps the refusals', () => {
    const routes = [at('team-a', 'chat', ['h.example.com']), at('team-b', 'steal', ['h.example.com'])];
    const first = compile({ routes, hostOwnership: 'namespace' });
    const again = compile({ routes, hostOwnership: 'namespace' }, first);
    assert.equal(again.statuses.get('team-b/steal')!.accepted.reason, HOST_OWNED_REASON);
  });
});
