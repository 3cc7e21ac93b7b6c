// Ingress paths to templates, and that each template matches what nginx matched.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matchTemplate, parseTemplate } from '../../src/routing/template.js';
import { convertPath, convertRewriteTarget, reduceRegex } from '../../src/convert/ingress/paths.js';

describe('Ingress paths', () => {
  const cases: Array<{ path: string; type: string; regex?: boolean; rewrite?: string; match?: string; backend?: string; problem?: RegExp; matches?: string[]; misses?: string[] }> = [
    { path: '/', type: 'Prefix', match: '/{rest}', matches: ['/', '/a/b'] },
    { path: '/ws', type: 'Prefix', match: '/ws/{rest}', matches: ['/ws', '/ws/', '/ws/room/1'], misses: ['/wsx', '/'] },
    { path: '/ws/', type: 'Prefix', match: '/ws/{rest}', matches: ['/ws'] },
    { path: '/ws', type: 'Exact', match: '/ws', matches: ['/ws'], misses: ['/ws/a'] },
    { path: '/ws', type: 'ImplementationSpecific', match: '/ws/{rest}' },
    { path: '/a/{b}', type: 'Prefix', problem: /regex or template characters/ },
    // The docs' rewrite example: /something/new -> /new, /something -> /.
    { path: '/something(/|$)(.*)', type: 'ImplementationSpecific', regex: true, rewrite: '/$2', match: '/something/{rest}', backend: '/{rest}', matches: ['/something', '/something/new'], misses: ['/somethingelse'] },
    { path: '/api/(.*)', type: 'ImplementationSpecific', regex: true, rewrite: '/v2/$1', match: '/api/{rest}', backend: '/v2/{rest}' },
    { path: '/socket\\.io/?(.*)', type: 'ImplementationSpecific', regex: true, match: '/socket.io/{rest}' },
    { path: '/exact$', type: 'ImplementationSpecific', regex: true, match: '/exact' },
    { path: '/plain', type: 'Prefix', regex: true, rewrite: '/', match: '/plain/{rest}', backend: '/' },
    { path: '/v[0-9]+/(.*)', type: 'ImplementationSpecific', regex: true, problem: /does not reduce/ },
    { path: '/a(/|$)(.*)', type: 'Prefix', regex: true, rewrite: '/$1$2', problem: /"\(\/\|\$\)" group/ },
    { path: '/a(/|$)(.*)', type: 'Prefix', regex: true, rewrite: '/$3', problem: /no group/ },
    { path: '/a', type: 'Prefix', regex: true, rewrite: '/$host', problem: /nginx variable \$host/ },
    { path: '/a', type: 'Prefix', regex: true, rewrite: 'https://other.example.com/', problem: /not a path/ },
  ];
  for (const c of cases) {
    test(`${c.type} ${c.path}${c.rewrite ? ` -> ${c.rewrite}` : ''}`, () => {
      const r = convertPath(c.path, c.type, c.regex ?? false, c.rewrite);
      if (c.problem) {
        assert.equal(r.match, undefined);
        assert.match(r.problem ?? '', c.problem);
        return;
      }
      assert.equal(r.problem, undefined);
      assert.equal(r.match, c.match);
      assert.equal(r.backendPath, c.backend);
      const t = parseTemplate(r.match!);
      for (const p of c.matches ?? []) assert.ok(matchTemplate(t, p), `${r.match} should match ${p}`);
      for (const p of c.misses ?? []) assert.equal(matchTemplate(t, p), null, `${r.match} should not match ${p}`);
    });
  }

  test('regex reduction and rewrite notes say what changes', () => {
    const r = convertPath('/a/?(.*)', 'Prefix', true, undefined);
    assert.ok(r.notes.some((n) => /longer words/.test(n)));
    assert.ok(r.notes.some((n) => /case-insensitively/.test(n)));
    assert.equal(typeof reduceRegex('/x|/y'), 'string');
    assert.equal(convertRewriteTarget('/x/${2}', ['slash', 'rest']), '/x/{rest}');
  });
});
