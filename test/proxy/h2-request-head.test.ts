import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropConnectionHeaders, h2RequestHead } from '../../src/proxy/h2-request-head.js';

const base = { ':method': 'POST', ':path': '/x', ':scheme': 'https', ':authority': 'a.test' };

describe('an HTTP/2 request head as an HTTP/1.1 one', () => {
  it('frames the body by content-length, by END_STREAM (none), else chunked; Host from :authority', () => {
    assert.deepEqual(h2RequestHead({ ...base, 'content-length': '12' }, false), { ok: true, framing: { kind: 'length', length: 12 }, host: 'a.test' });
    assert.deepEqual(h2RequestHead({ ...base }, true), { ok: true, framing: { kind: 'none' }, host: 'a.test' });
    assert.deepEqual(h2RequestHead({ ...base }, false), { ok: true, framing: { kind: 'chunked' }, host: 'a.test' });
    assert.deepEqual(h2RequestHead({ ...base, host: 'a.test' }, true), { ok: true, framing: { kind: 'none' }, host: 'a.test' });
  });

  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['transfer-encoding', { 'transfer-encoding': 'chunked' }, /connection-specific header transfer-encoding/],
    ['connection', { connection: 'close' }, /connection-specific header connection/],
    ['keep-alive', { 'keep-alive': 'timeout=5' }, /keep-alive/],
    ['proxy-connection', { 'proxy-connection': 'keep-alive' }, /proxy-connection/],
    ['upgrade', { upgrade: 'websocket' }, /upgrade/],
    ['te other than trailers', { te: 'gzip' }, /te other than/],
    ['CR/LF in a value', { 'x-a': 'a\r\nX-Injected: 1' }, /CR, LF or NUL in the value of x-a/],
    ['NUL in a value', { 'x-a': 'a\0b' }, /CR, LF or NUL/],
    ['a Host that differs from :authority', { host: 'b.test' }, /:authority and Host differ/],
    ['a malformed content-length', { 'content-length': '1e3' }, /malformed content-length/],
    ['a content-length past 2^53', { 'content-length': '99999999999999999999' }, /too large/],
  ];
  for (const [what, extra, message] of refused) {
    it(`refuses ${what} with 400`, () => {
      const v = h2RequestHead({ ...base, ...extra }, false);
      assert.equal(v.ok, false);
      if (!v.ok) {
        assert.equal(v.status, 400);
        assert.match(v.message, message);
      }
    });
  }

  it('keeps te: trailers (the one te HTTP/2 allows)', () => {
    assert.equal(h2RequestHead({ ...base, te: 'trailers' }, true).ok, true);
  });
});

describe('a backend response\'s fields for an HTTP/2 client', () => {
  it('drops the connection-specific ones and every field Connection names, keeps the rest', () => {
    const headers: Record<string, unknown> = {
      connection: 'keep-alive, X-Private',
      'x-private': 'p',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      te: 'trailers',
      'http2-settings': 'AAA',
      'content-type': 'text/plain',
      'set-cookie': ['a=1'],
    };
    dropConnectionHeaders(headers);
    assert.deepEqual(headers, { 'content-type': 'text/plain', 'set-cookie': ['a=1'] });
  });
});
