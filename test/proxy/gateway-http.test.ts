// The pure parts of an HTTPRoute's filters (src/proxy/gateway-http.ts), table-driven from the
// Gateway API spec's own examples: the redirect's Location, ReplacePrefixMatch/ReplaceFullPath,
// header modifiers on parsed headers and on a raw 101 head, and the weighted backendRef choice.

import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { modifiedPath, modifyHead, modifyHeaders, pickWeighted, redirectLocation, rewrittenTarget, type RedirectRequest } from '../../src/proxy/gateway-http.js';
import type { GatewayRouting, PathMatch, WeightedBackend } from '../../src/routing/gateway-types.js';
import { prng } from '../helpers/prng.js';

type Redirect = NonNullable<GatewayRouting['redirect']>;
const prefix = (value: string): PathMatch => ({ type: 'PathPrefix', value });

describe('ReplacePrefixMatch and ReplaceFullPath', () => {
  // The table of the HTTPPathModifier documentation, plus the query kept byte for byte.
  const cases: Array<[path: string, match: string, replacement: string, expected: string]> = [
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
    ['/foo/bar', '/', '/xyz', '/xyz/foo/bar'],
    ['/foo/a%2Fb//c', '/foo', '/x', '/x/a%2Fb//c'],
  ];
  for (const [path, match, replacement, expected] of cases) {
    test(`${path} with prefix ${match} replaced by "${replacement}" -> ${expected}`, () => {
      assert.equal(modifiedPath(path, prefix(match), { type: 'ReplacePrefixMatch', value: replacement }), expected);
    });
  }
  test('ReplaceFullPath replaces the whole path; the query stays as sent', () => {
    assert.equal(modifiedPath('/a/b', prefix('/a'), { type: 'ReplaceFullPath', value: '/full' }), '/full');
    assert.equal(rewrittenTarget('/a/b?x=%2F&y', prefix('/a'), { type: 'ReplaceFullPath', value: '/full' }), '/full?x=%2F&y');
    assert.equal(rewrittenTarget('/a/b?q=1', prefix('/a'), { type: 'ReplacePrefixMatch', value: '/z/' }), '/z/b?q=1');
    assert.equal(rewrittenTarget('/a/b?q=1', prefix('/a'), undefined), '/a/b?q=1');
  });
});

describe('redirect Location', () => {
  const req: RedirectRequest = { scheme: 'http', host: 'old.example', listenerPort: 80, path: '/foo/bar', query: 'a=1&b=%2F' };
  const cases: Array<[what: string, redirect: Redirect, over: Partial<typeof req>, expected: string]> = [
    ['hostname only, default port left out', { hostname: 'new.example', statusCode: 302 }, {}, 'http://new.example/foo/bar?a=1&b=%2F'],
    ['scheme https: its default port', { scheme: 'https', statusCode: 301 }, {}, 'https://old.example/foo/bar?a=1&b=%2F'],
    ['scheme http from https: port 80 left out', { scheme: 'http', statusCode: 301 }, { scheme: 'https', listenerPort: 443 }, 'http://old.example/foo/bar?a=1&b=%2F'],
    ['scheme change ignores a non-default listener port', { scheme: 'https', statusCode: 302 }, { listenerPort: 8080 }, 'https://old.example/foo/bar?a=1&b=%2F'],
    ['no scheme, no port: the listener port', { hostname: 'n.example', statusCode: 302 }, { listenerPort: 8080 }, 'http://n.example:8080/foo/bar?a=1&b=%2F'],
    ['explicit port', { port: 8443, scheme: 'https', statusCode: 307 }, {}, 'https://old.example:8443/foo/bar?a=1&b=%2F'],
    ['explicit default port left out', { port: 443, scheme: 'https', statusCode: 308 }, {}, 'https://old.example/foo/bar?a=1&b=%2F'],
    ['http on 443 keeps the port', { port: 443, statusCode: 302 }, {}, 'http://old.example:443/foo/bar?a=1&b=%2F'],
    ['ReplaceFullPath', { path: { type: 'ReplaceFullPath', value: '/new' }, statusCode: 303 }, {}, 'http://old.example/new?a=1&b=%2F'],
    ['ReplacePrefixMatch', { path: { type: 'ReplacePrefixMatch', value: '/v2' }, statusCode: 302 }, {}, 'http://old.example/v2/bar?a=1&b=%2F'],
    ['no query', { hostname: 'x.example', statusCode: 302 }, { query: '' }, 'http://x.example/foo/bar'],
    ['IPv6 host in brackets', { port: 81, statusCode: 302 }, { host: '::1' }, 'http://[::1]:81/foo/bar?a=1&b=%2F'],
  ];
  for (const [what, redirect, over, expected] of cases) {
    test(what, () => assert.equal(redirectLocation(redirect, prefix('/foo'), { ...req, ...over }), expected));
  }
});

describe('header modifiers', () => {
  test('on parsed headers: set overwrites, add appends a line, remove deletes; names case-insensitive', () => {
    const h: http.IncomingHttpHeaders = { 'x-keep': 'k', 'x-set': 'old', 'x-add': 'a1', 'x-gone': 'g' };
    modifyHeaders(h, {
      set: [{ name: 'X-Set', value: 'new' }, { name: 'x-fresh', value: 'f' }],
      add: [{ name: 'X-Add', value: 'a2' }, { name: 'x-new', value: 'n' }],
      remove: ['X-Gone'],
    });
    assert.deepEqual(h, { 'x-keep': 'k', 'x-set': 'new', 'x-fresh': 'f', 'x-add': ['a1', 'a2'], 'x-new': 'n' });
    modifyHeaders(h, undefined);
    assert.equal(h['x-keep'], 'k');
  });

  test('a "_" spelling of a name the modifier writes is removed (CGI-style backends fold it into the same key); others stay', () => {
    const h: http.IncomingHttpHeaders = { x_tenant: 'forged', 'x_auth-user': 'forged', x_other: 'kept' };
    modifyHeaders(h, { set: [{ name: 'X-Tenant', value: 'a' }], add: [{ name: 'X-Auth-User', value: 'svc' }], remove: [] });
    assert.deepEqual(h, { 'x-tenant': 'a', 'x-auth-user': 'svc', x_other: 'kept' });
  });

  test('framing headers are ignored: a modifier cannot set, add or remove Content-Length, Transfer-Encoding, Connection', () => {
    const h: http.IncomingHttpHeaders = { 'content-length': '5', 'transfer-encoding': 'chunked', connection: 'keep-alive', host: 'a' };
    const framing = { set: [{ name: 'Content-Length', value: '0' }, { name: 'Host', value: 'b' }], add: [{ name: 'Transfer-Encoding', value: 'gzip' }], remove: ['connection', 'TRANSFER-ENCODING'] };
    modifyHeaders(h, framing);
    assert.deepEqual(h, { 'content-length': '5', 'transfer-encoding': 'chunked', connection: 'keep-alive', host: 'b' });
    const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    assert.equal(modifyHead(head, [{ set: [{ name: 'Connection', value: 'close' }], add: [{ name: 'Content-Length', value: '3' }], remove: ['Upgrade'] }], []), head);
  });

  test('on a raw 101 head: set and remove drop the backend\'s lines of that name, the rest stays byte for byte', () => {
    const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Set: old\r\nx-gone: 1\r\nX-Add: a1\r\n\r\n';
    const out = modifyHead(
      head,
      [
        { set: [{ name: 'X-Set', value: 'rule' }], add: [{ name: 'X-Add', value: 'a2' }], remove: ['X-Gone'] },
        { set: [{ name: 'x-set', value: 'backend' }], add: [], remove: [] },
        undefined,
      ],
      ['Set-Cookie: c=1'],
    );
    assert.equal(out, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Add: a1\r\nX-Add: a2\r\nx-set: backend\r\nSet-Cookie: c=1\r\n\r\n');
  });

  // The translator refuses such routes; these are the data plane's own guard if one got through.
  const breaking = ['a\r\nSet-Cookie: session=evil', 'a\rb', 'a\nb', 'a\u0000b'];
  const hostile = (value: string) => ({
    set: [{ name: 'X-Set', value }, { name: 'X-Bad: name', value: 'v' }, { name: 'X-Ok', value: 'ok' }],
    add: [{ name: 'X-Add', value }, { name: 'x\r\ny', value: 'v' }],
    remove: [],
  });

  test('on a raw 101 head: values with CR, LF or NUL and names that are not tokens are never written', () => {
    const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
    for (const value of breaking) {
      const out = modifyHead(head, [hostile(value)], [`Set-Cookie: ${value}`, 'Set-Cookie: c=1']);
      assert.equal(out, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Ok: ok\r\nSet-Cookie: c=1\r\n\r\n', JSON.stringify(value));
      // Every line of the result is one the head had or one well-formed header line.
      const lines = out.slice(0, -4).split('\r\n');
      for (const line of lines.slice(1)) assert.match(line, /^[!#$%&'*+.^_`|~0-9A-Za-z-]+: [^\r\n\0]*$/);
      assert.ok(!out.slice(0, -4).includes('\n\n') && !/\r(?!\n)|(?<!\r)\n|\0/.test(out), 'no bare CR, LF or NUL');
    }
  });

  test('on parsed headers: values with CR, LF or NUL and names that are not tokens are skipped', () => {
    for (const value of breaking) {
      const h: http.IncomingHttpHeaders = { 'x-set': 'old', 'x-add': 'a1' };
      modifyHeaders(h, hostile(value));
      assert.deepEqual(h, { 'x-set': 'old', 'x-add': 'a1', 'x-ok': 'ok' }, JSON.stringify(value));
    }
  });
});

describe('weighted backendRefs', () => {
  const b = (weight: number, name: string): WeightedBackend => ({ weight, target: { scheme: 'ws', endpoints: [], eligible: [] }, requestHeaders: { set: [{ name: 'x-b', value: name }], add: [], remove: [] } });
  const name = (x: WeightedBackend | undefined) => x?.requestHeaders?.set[0]?.value;

  test('weight 0 is never chosen; all zero (or none) is none', () => {
    const list = [b(0, 'zero'), b(1, 'one'), b(0, 'zero2')];
    for (const r of [0, 0.25, 0.5, 0.999999]) assert.equal(name(pickWeighted(list, () => r)), 'one');
    assert.equal(pickWeighted([b(0, 'a'), b(0, 'b')], () => 0.5), undefined);
    assert.equal(pickWeighted([], () => 0.5), undefined);
  });

  test('choices are proportional to the weights (the random source decides: 1:3 at the boundaries)', () => {
    const list = [b(1, 'a'), b(3, 'b')];
    assert.equal(name(pickWeighted(list, () => 0)), 'a');
    assert.equal(name(pickWeighted(list, () => 0.2499)), 'a');
    assert.equal(name(pickWeighted(list, () => 0.25)), 'b');
    assert.equal(name(pickWeighted(list, () => 0.9999)), 'b');
    const rand = prng(7);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) counts[name(pickWeighted(list, rand)) as 'a' | 'b']++;
    // Seeded: the same counts every run; near 1000:3000.
    assert.ok(counts.a > 850 && counts.a < 1150, JSON.stringify(counts));
  });
});
