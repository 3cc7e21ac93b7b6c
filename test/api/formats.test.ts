import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHostname, isOriginPattern, isPortName, isRouteHost } from '../../src/api/formats.js';

describe('formats', () => {
  const table: Array<[string, (s: string) => boolean, string[], string[]]> = [
    ['isHostname', isHostname, ['a', 'backend.internal', 'A-1.example.com', '10.0.0.1'], ['', '-a', 'a-', 'a..b', 'a_b', 'a.'.repeat(130) + 'a', 'x'.repeat(64)]],
    ['isRouteHost', isRouteHost, ['*.example.com', 'example.com'], ['*', '*.', 'a.*.com', '**.a.com']],
    ['isPortName', isPortName, ['http', 'h2c', 'web-socket', '8080a'], ['', '8080', 'a--b', '-a', 'a-', 'HTTP', 'abcdefghijklmnop']],
    [
      'isOriginPattern',
      isOriginPattern,
      ['*', 'https://app.example.com', 'http://localhost:3000', 'https://*.example.com', 'http://[::1]:8080', 'chrome-extension://abcdef'],
      ['https://App.example.com', 'https://a.com/', 'https://a.com:443', 'http://a.com:80', 'a.com', 'https://', 'https://*.', 'https://a b'],
    ],
  ];
  for (const [name, fn, good, bad] of table) {
    for (const s of good) it(`${name} accepts ${JSON.stringify(s.slice(0, 30))}`, () => assert.equal(fn(s), true));
    for (const s of bad) it(`${name} refuses ${JSON.stringify(s.slice(0, 30))}`, () => assert.equal(fn(s), false));
  }
});
