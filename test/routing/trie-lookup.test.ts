// Cases the trie must get right that depend on the template rules rather than on precedence:
// trailing slashes, empty segments, an empty catch-all, and conditions that fail deep in the
// trie so that a shallower, less specific route (or the next host group) wins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/routing/compile.js';
import type { RouteRequest } from '../../src/routing/table.js';
import { route } from '../fixtures.js';

function req(host: string, path: string, headers: Record<string, string> = {}): RouteRequest {
  return { host, path, subprotocols: [], header: (n) => headers[n] };
}

function key(routes: ReturnType<typeof route>[], r: RouteRequest): string | undefined {
  return compile({ routes }).table.lookup(r)?.route.key;
}

test('a literal template takes one trailing slash, never an empty segment', () => {
  const routes = [route('chat', { match: { path: '/chat/room' } })];
  assert.equal(key(routes, req('h', '/chat/room')), 'default/chat');
  assert.equal(key(routes, req('h', '/chat/room/')), 'default/chat');
  assert.equal(key(routes, req('h', '/chat/room//')), undefined);
  assert.equal(key(routes, req('h', '/chat//room')), undefined);
  assert.equal(key(routes, req('h', '/chat')), undefined);
});

test('a catch-all takes zero or more segments; a param takes exactly one non-empty one', () => {
  const routes = [route('hub', { match: { path: '/hub/{id}/{rest}' } })];
  const t = compile({ routes }).table;
  assert.deepEqual(t.lookup(req('h', '/hub/7'))?.params, { id: '7', rest: '' });
  assert.deepEqual(t.lookup(req('h', '/hub/7/a//b/'))?.params, { id: '7', rest: 'a//b/' });
  assert.equal(t.lookup(req('h', '/hub//x')), null);
  assert.equal(t.lookup(req('h', '/hub')), null);
});

test('conditions failing on the most specific route fall through to the next one in the trie', () => {
  const routes = [
    route('deep', { match: { path: '/a/b/c', headers: [{ name: 'x-t', value: '1' }] } }),
    route('param', { match: { path: '/a/{x}/c', headers: [{ name: 'x-t', value: '2' }] } }),
    route('rest', { match: { path: '/a/{rest}' } }),
  ];
  assert.equal(key(routes, req('h', '/a/b/c', { 'x-t': '1' })), 'default/deep');
  assert.equal(key(routes, req('h', '/a/b/c', { 'x-t': '2' })), 'default/param');
  assert.equal(key(routes, req('h', '/a/b/c')), 'default/rest');
});

test('when no route of the exact host passes, wildcards and then host-less routes are tried', () => {
  const routes = [
    route('exact', { hosts: ['a.eu.example.com'], match: { path: '/ws', headers: [{ name: 'x-t', value: '1' }] } }),
    route('wild', { hosts: ['*.example.com'], match: { path: '/ws', headers: [{ name: 'x-t', value: '2' }] } }),
    route('any', { match: { path: '/{rest}' } }),
  ];
  assert.equal(key(routes, req('a.eu.example.com', '/ws', { 'x-t': '1' })), 'default/exact');
  assert.equal(key(routes, req('a.eu.example.com', '/ws', { 'x-t': '2' })), 'default/wild');
  assert.equal(key(routes, req('a.eu.example.com', '/ws')), 'default/any');
});

test('get() finds routes by key', () => {
  const t = compile({ routes: [route('a', { match: { path: '/a' } }), route('b', { match: { path: '/b' } })] }).table;
  assert.equal(t.get('default/b')?.name, 'b');
  assert.equal(t.get('default/c'), undefined);
});
