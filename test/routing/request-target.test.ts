// The request target and Host normalisation every request passes before lookup
// (src/routing/request-target.ts): one table of targets with their normal form or refusal
// under the default settings, and the cases each --path-* setting changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PATH_OPTIONS,
  normalizeHost,
  normalizeTarget,
  targetString,
  type PathOptions,
} from '../../src/routing/request-target.js';

/** A target and what it becomes: the normalised target string, or a RegExp of the refusal. */
type Case = [target: string, expected: string | RegExp];

function check(cases: readonly Case[], opts: PathOptions = DEFAULT_PATH_OPTIONS): void {
  for (const [target, expected] of cases) {
    const r = normalizeTarget(target, opts);
    if (typeof expected === 'string') {
      assert.ok(r.ok, `${JSON.stringify(target)} should be accepted, got ${r.ok ? '' : r.message}`);
      assert.equal(targetString(r), expected, JSON.stringify(target));
    } else {
      assert.ok(!r.ok, `${JSON.stringify(target)} should be refused, got ${r.ok ? targetString(r) : ''}`);
      assert.equal(r.status, 400, JSON.stringify(target));
      assert.match(r.message, expected, JSON.stringify(target));
    }
  }
}

test('default normalisation: decoded unreserved, upper-cased hex, merged slashes, refusals', () => {
  check([
    // Already normal: unchanged.
    ['/', '/'],
    ['/chat', '/chat'],
    ['/a/b/', '/a/b/'],
    ['/a-b.c_d~e/f', '/a-b.c_d~e/f'],
    ["/a!$&'()*+,=:@b", "/a!$&'()*+,=:@b"],
    // An empty path is "/".
    ['', '/'],
    ['?x=1', '/?x=1'],
    // Encoded unreserved characters are decoded, in either hex case.
    ['/%61dmin', '/admin'],
    ['/%61DMIN/secret', '/aDMIN/secret'],
    ['/%41dmin', '/Admin'],
    ['/a%2db%2Ec%5fd%7Ee%30', '/a-b.c_d~e0'],
    // Other encodings stay encoded with upper-case hex digits.
    ['/a%20b', '/a%20b'],
    ['/a%2ab', '/a%2Ab'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a%3a', '/a%3A'],
    ['/a%25', '/a%25'],
    ['/a%2561dmin', '/a%2561dmin'],
    // An encoded "#" is a character of a segment, not a fragment.
    ['/a%23b', '/a%23b'],
    // Case is significant.
    ['/Admin', '/Admin'],
    // "//" runs are merged.
    ['//admin/secret', '/admin/secret'],
    ['///admin', '/admin'],
    ['/a//b///c/', '/a/b/c/'],
    ['/a/b//', '/a/b/'],
    // Raw characters RFC 3986 keeps out of paths are sent on encoded.
    ['/a{b}', '/a%7Bb%7D'],
    ['/a"<>|^`[]', '/a%22%3C%3E%7C%5E%60%5B%5D'],
    // The query is kept byte for byte, "?" and "%" (even malformed) included.
    ['/a?b=%2f&c=%zz&d=a?b//c', '/a?b=%2f&c=%zz&d=a?b//c'],
    ['/a?', '/a?'],
    ['/%61?%61', '/a?%61'],
    ['/a?x=;y', '/a?x=;y'],
    // Fragments are refused, in the path and in the query.
    ['/admin#/x', /"#"/],
    ['/a?b#c', /"#"/],
    ['/#', /"#"/],
    // Encoded slashes and backslashes are refused.
    ['/admin%2Fsecret', /%2F/],
    ['/admin%2fsecret', /%2F/],
    ['/a%5Cb', /%5C/],
    ['/a%5cb', /%5C/],
    // Semicolons (raw or encoded) are refused.
    ['/admin;x/secret', /";"/],
    ['/a;jsessionid=1', /";"/],
    ['/a%3Bb', /%3B/],
    ['/a%3bb', /%3B/],
    // Dot segments: raw, encoded in any case, partly encoded, and at the end.
    ['/a/../b', /dot segment/],
    ['/a/./b', /dot segment/],
    ['/a/..', /dot segment/],
    ['/..', /dot segment/],
    ['/a/%2e%2E/b', /dot segment/],
    ['/a/%2E%2e', /dot segment/],
    ['/a/.%2e/b', /dot segment/],
    ['/a/%2e./b', /dot segment/],
    ['/a/%2e/b', /dot segment/],
    ['/a//..//b', /dot segment/],
    // Not dot segments.
    ['/a/.../b', '/a/.../b'],
    ['/a/..b/.c', '/a/..b/.c'],
    // Malformed percent-encodings.
    ['/%zz', /malformed percent-encoding/],
    ['/%4', /malformed percent-encoding/],
    ['/a%', /malformed percent-encoding/],
    ['/%g1', /malformed percent-encoding/],
    ['/a%%41', /malformed percent-encoding/],
    // Encoded control characters.
    ['/admin%00/x', /encoded control character/],
    ['/a%0d%0aX-Injected:%201', /encoded control character/],
    ['/a%7F', /encoded control character/],
    // Raw backslash, control characters and non-ASCII bytes (should Node ever let them through).
    ['/a\\b', /backslash/],
    ['/a\x01b', /control character or non-ASCII/],
    ['/a b', /control character or non-ASCII/],
    ['/a\x7f', /control character or non-ASCII/],
    ['/caf\xe9', /control character or non-ASCII/],
    ['/a?b=\xe9', /control character or non-ASCII/],
    ['/a?b=\r', /control character or non-ASCII/],
    // Not an origin-form path.
    ['*', /absolute path/],
    ['http://evil/', /absolute path/],
    ['admin', /absolute path/],
  ]);
});

test('--no-path-merge-slashes keeps "//" (dot segments are still refused)', () => {
  check(
    [
      ['//admin/secret', '//admin/secret'],
      ['/a///b//', '/a///b//'],
      ['/%61//b', '/a//b'],
      ['/a//../b', /dot segment/],
    ],
    { ...DEFAULT_PATH_OPTIONS, mergeSlashes: false },
  );
});

test('--path-escaped-slashes keep forwards %2F and %5C encoded and still finds dot segments between them', () => {
  check(
    [
      ['/admin%2Fsecret', '/admin%2Fsecret'],
      ['/admin%2fsecret', '/admin%2Fsecret'],
      ['/a%5cb', '/a%5Cb'],
      // A backend that decodes %2F would see "/a/../b".
      ['/a/..%2Fb', /dot segment/],
      ['/a/%2e%2e%2fb', /dot segment/],
      ['/a%5C..%5Cb', /dot segment/],
      ['/a\\b', /backslash/],
    ],
    { ...DEFAULT_PATH_OPTIONS, escapedSlashes: 'keep' },
  );
});

test('--path-semicolons keep passes ";" and %3B and refuses a dot segment before ";params"', () => {
  check(
    [
      ['/admin;x/secret', '/admin;x/secret'],
      ['/a;jsessionid=1?x', '/a;jsessionid=1?x'],
      ['/a%3bb', '/a%3Bb'],
      // Tomcat cuts ";x" and then sees "/a/../b".
      ['/a/..;x/b', /dot segment/],
      ['/a/.%3Bx/b', /dot segment/],
    ],
    { ...DEFAULT_PATH_OPTIONS, semicolons: 'keep' },
  );
});

test('the defaults are the documented ones', () => {
  assert.deepEqual({ ...DEFAULT_PATH_OPTIONS }, { mergeSlashes: true, escapedSlashes: 'reject', semicolons: 'reject' });
});

test('normalizeHost drops the trailing dot, lower-cases, keeps the port and refuses what is not a host[:port]', () => {
  const cases: Array<[string | undefined, { header: string; name: string } | RegExp]> = [
    ['secure.example.com', { header: 'secure.example.com', name: 'secure.example.com' }],
    ['secure.example.com.', { header: 'secure.example.com', name: 'secure.example.com' }],
    ['Secure.Example.COM.:8080', { header: 'secure.example.com:8080', name: 'secure.example.com' }],
    [' chat.example.com:443 ', { header: 'chat.example.com:443', name: 'chat.example.com' }],
    ['localhost', { header: 'localhost', name: 'localhost' }],
    ['127.0.0.1:80', { header: '127.0.0.1:80', name: '127.0.0.1' }],
    ['[::1]:8080', { header: '[::1]:8080', name: '[::1]' }],
    ['[::1]', { header: '[::1]', name: '[::1]' }],
    [undefined, { header: '', name: '' }],
    ['', { header: '', name: '' }],
    ['secure.example.com..', /empty label/],
    ['a..b', /empty label/],
    ['.example.com', /empty label/],
    ['.', /empty label/],
    ['.:80', /empty label/],
    ['under_score.example.com', { header: 'under_score.example.com', name: 'under_score.example.com' }],
    ['[fd00::1.2.3.4]:1', { header: '[fd00::1.2.3.4]:1', name: '[fd00::1.2.3.4]' }],
    // What a URL parser would read as another authority (userinfo, a path, a list, a port
    // that is not one) must not reach a backend as the Host it routes by.
    ['a@secure.example.com', /invalid Host/],
    ['secure.example.com:80@evil.example', /invalid Host/],
    ['[::1]@secure.example.com', /invalid Host/],
    ['evil.example/secure.example.com', /invalid Host/],
    ['evil.example\\secure.example.com', /invalid Host/],
    ['evil.example,secure.example.com', /invalid Host/],
    ['evil.example secure.example.com', /invalid Host/],
    ['secure.example.com:abc', /invalid Host/],
    ['secure.example.com:443:80', /invalid Host/],
    ['secure.example.com:123456', /invalid Host/],
    ['secure.example.com?x', /invalid Host/],
    ['secure.example.com#x', /invalid Host/],
    ['secure%2eexample.com', /invalid Host/],
    ['[::1', /invalid Host/],
    ['[evil.example]', /invalid Host/],
    ['[fe80::1%25eth0]', /invalid Host/],
  ];
  for (const [value, expected] of cases) {
    const r = normalizeHost(value);
    if (expected instanceof RegExp) {
      assert.ok(!r.ok, `${JSON.stringify(value)} should be refused`);
      assert.equal(r.status, 400);
      assert.match(r.message, expected);
    } else {
      assert.ok(r.ok, `${JSON.stringify(value)} should be accepted`);
      assert.deepEqual({ header: r.header, name: r.name }, expected, JSON.stringify(value));
    }
  }
});
