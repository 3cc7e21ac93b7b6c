import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalEncoding,
  matchTemplate,
  parseTemplate,
  renderTemplate,
  rewriteTarget,
  templateShape,
  templateSpecificity,
  TemplateError,
} from '../../src/routing/template.js';

test('parseTemplate accepts literals, params and a trailing catch-all', () => {
  const cases: Array<[string, string[], string]> = [
    ['/', [], '/'],
    ['/chat', [], '/chat'],
    ['/chat/', [], '/chat'],
    ['/gateway/{catchAll}', ['catchAll'], '/gateway/{*}'],
    ['/rooms/{room}/live', ['room'], '/rooms/{}/live'],
    ['/{tenant}/{rest}', ['tenant', 'rest'], '/{}/{*}'],
    ['/a%20b/{x}', ['x'], '/a%20b/{*}'],
  ];
  for (const [src, placeholders, shape] of cases) {
    const t = parseTemplate(src);
    assert.deepEqual(t.placeholders, placeholders, src);
    assert.equal(templateShape(t), shape, src);
  }
});

test('parseTemplate refuses malformed templates with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['chat', /must start with "\/"/],
    ['/a//b', /empty segment/],
    ['/a/../b', /"\.\." segment/],
    ['/a/%2e%2E/b', /"\.\." segment/],
    ['/a/%2e', /"\." segment/],
    ['/a%zz/{x}', /malformed percent-encoding/],
    ['/a/%4', /malformed percent-encoding/],
    ['/a/./b', /"\." segment/],
    ['/a/{x}/{x}', /repeats placeholder \{x\}/],
    ['/a/pre{x}', /whole segment/],
    ['/a/{x', /whole segment/],
    ['/a/{1x}', /whole segment/],
    ['/a?b=1', /must not contain/],
    ['/a b', /must not contain/],
  ];
  for (const [src, message] of cases) {
    assert.throws(() => parseTemplate(src), (err: unknown) => err instanceof TemplateError && message.test(err.message), src);
  }
});

test('matchTemplate: table of paths', () => {
  const cases: Array<[string, string, Record<string, string> | null]> = [
    ['/chat', '/chat', {}],
    ['/chat', '/chat/', {}], // trailing slash tolerated
    ['/chat', '/chat/x', null],
    ['/chat', '/Chat', null], // case-sensitive
    ['/chat', '/chatty', null],
    ['/', '/', {}],
    ['/', '/x', null],
    ['/gateway/{catchAll}', '/gateway', { catchAll: '' }],
    ['/gateway/{catchAll}', '/gateway/', { catchAll: '' }],
    ['/gateway/{catchAll}', '/gateway/a', { catchAll: 'a' }],
    ['/gateway/{catchAll}', '/gateway/a/b/c', { catchAll: 'a/b/c' }],
    ['/gateway/{catchAll}', '/gateway/a/b/', { catchAll: 'a/b/' }],
    ['/gateway/{catchAll}', '/gatewayx/a', null],
    ['/rooms/{room}/live', '/rooms/42/live', { room: '42' }],
    ['/rooms/{room}/live', '/rooms//live', null], // a param never matches an empty segment
    ['/rooms/{room}/live', '/rooms/42/live/', { room: '42' }],
    ['/rooms/{room}/live', '/rooms/42/other', null],
    ['/rooms/{room}/live', '/rooms/a%2Fb/live', { room: 'a%2Fb' }], // encoded slash stays one segment
    ['/rooms/{room}/live', '/rooms/caf%C3%A9/live', { room: 'caf%C3%A9' }],
    ['/a/b', '/a//b', null], // empty segments never match a literal
  ];
  for (const [tpl, path, expected] of cases) {
    assert.deepEqual(matchTemplate(parseTemplate(tpl), path), expected, `${tpl} vs ${path}`);
  }
});

test('literals are kept in the normalised form requests are matched in: unreserved decoded, hex upper-cased', () => {
  const t = parseTemplate('/%61dmin/caf%c3%a9/{rest}');
  assert.deepEqual(t.segments.slice(0, 2), [{ kind: 'literal', value: 'admin' }, { kind: 'literal', value: 'caf%C3%A9' }]);
  assert.equal(t.source, '/%61dmin/caf%c3%a9/{rest}', 'the source stays as written');
  assert.deepEqual(matchTemplate(t, '/admin/caf%C3%A9/x'), { rest: 'x' });
  assert.equal(templateShape(parseTemplate('/%7e%41')), templateShape(parseTemplate('/~A')), 'the same path conflicts with itself');
  assert.equal(canonicalEncoding('/a%2fb%zz%4'), '/a%2Fb%zz%4', 'malformed "%" left to request-target.ts to refuse');
});

test('renderTemplate rewrites with captured raw values', () => {
  const cases: Array<[string, string, string, string]> = [
    ['/gateway/{catchAll}', '/{catchAll}', '/gateway/a/b', '/a/b'],
    ['/gateway/{catchAll}', '/{catchAll}', '/gateway', '/'],
    ['/gateway/{catchAll}', '/ws/{catchAll}', '/gateway/x%20y', '/ws/x%20y'],
    ['/rooms/{room}/live', '/live/{room}', '/rooms/42/live', '/live/42'],
    ['/{tenant}/{rest}', '/t/{tenant}/{rest}', '/acme/a/b', '/t/acme/a/b'],
    ['/chat', '/', '/chat', '/'],
    ['/chat', '/backend/chat', '/chat/', '/backend/chat'],
  ];
  for (const [up, down, path, expected] of cases) {
    const params = matchTemplate(parseTemplate(up), path);
    assert.ok(params, `${up} should match ${path}`);
    assert.equal(renderTemplate(parseTemplate(down), params), expected);
  }
});

test('specificity: more literals first, then no catch-all, then more params, then longer literals', () => {
  const order = ['/a/b/c', '/a/{x}/c', '/a/b/{rest}', '/a/{x}/{rest}', '/abc/{rest}', '/a/{rest}', '/{rest}'];
  const sorted = [...order].reverse().sort((p, q) => {
    const a = templateSpecificity(parseTemplate(p));
    const b = templateSpecificity(parseTemplate(q));
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i]! - a[i]!;
    return 0;
  });
  assert.deepEqual(sorted, order);
});

test('rewriteTarget keeps a trailing slash, encoded bytes and the query string', () => {
  // [upstream template, downstream template, request target, backend target]
  const cases: Array<[string, string, string, string]> = [
    ['/socket.io/', '/socket.io/', '/socket.io/?EIO=4&transport=websocket', '/socket.io/?EIO=4&transport=websocket'],
    ['/socket.io/', '/socket.io/', '/socket.io?EIO=4', '/socket.io?EIO=4'],
    ['/socket.io/', '/engine/', '/socket.io/', '/engine/'],
    ['/gateway/{catchAll}', '/{catchAll}', '/gateway/a/b/', '/a/b/'],
    ['/gateway/{catchAll}', '/{catchAll}', '/gateway/', '/'],
    ['/gateway/{catchAll}', '/{catchAll}', '/gateway', '/'],
    ['/gateway/{catchAll}', '/{catchAll}', '/gateway/a%2Fb%20c?x=%41&y=1+2', '/a%2Fb%20c?x=%41&y=1+2'],
    ['/rooms/{room}/live', '/live/{room}', '/rooms/r%C3%A9/live/', '/live/r%C3%A9/'],
    ['/rooms/{room}/live', '/live/{room}', '/rooms/7/live?', '/live/7?'],
    ['/hub/{rest}', '/hub/{rest}', '/hub?id=abc', '/hub?id=abc'],
    ['/hub/{rest}', '/hub/{rest}', '/hub/negotiate?negotiateVersion=1', '/hub/negotiate?negotiateVersion=1'],
    ['/api/{rest}', '/v1/{rest}', '/api/items/?q=a%26b', '/v1/items/?q=a%26b'],
    ['/', '/', '/?a=1', '/?a=1'],
    ['/', '/ws', '/', '/ws'],
    ['/', '/ws', '/?x=1', '/ws?x=1'],
  ];
  for (const [up, down, request, expected] of cases) {
    const q = request.indexOf('?');
    const params = matchTemplate(parseTemplate(up), q === -1 ? request : request.slice(0, q));
    assert.ok(params, `${request} matches ${up}`);
    assert.equal(rewriteTarget(parseTemplate(down), params, request), expected, `${up} -> ${down}: ${request}`);
  }
});
