import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { createProxyServer } from 'http-proxy-3';
import { FRAMING_PASS, installFraming, webPasses } from '../../src/proxy/framing-pass.js';
import { requestFraming, writeFraming, type FramingVerdict } from '../../src/proxy/request-framing.js';

/** The verdict for an HTTP/1.1 (or `minor` 0) head with these header lines. */
const frame = (lines: Array<[string, string]>, minor = 1): FramingVerdict =>
  requestFraming({ httpVersionMajor: 1, httpVersionMinor: minor, rawHeaders: [['Host', 'a'], ...lines].flat() });

describe('request framing', () => {
  it('reads the framing Node parsed: none, a length, chunked', () => {
    assert.deepEqual(frame([]), { ok: true, framing: { kind: 'none' } });
    assert.deepEqual(frame([['Content-Length', '0012']]), { ok: true, framing: { kind: 'length', length: 12 } });
    assert.deepEqual(frame([['Transfer-Encoding', 'Chunked']]), { ok: true, framing: { kind: 'chunked' } });
    assert.deepEqual(frame([['transfer-encoding', ', chunked']]), { ok: true, framing: { kind: 'chunked' } });
  });

  it('refuses what is ambiguous with 400', () => {
    const cases: Array<Array<[string, string]>> = [
      [['Content-Length', '3'], ['Transfer-Encoding', 'chunked']],
      [['Content-Length', '3'], ['Content-Length', '3']],
      [['Content-Length', '3, 3']],
      [['Content-Length', '+3']],
      [['Content-Length', '']],
      [['Content-Length', '99999999999999999999']],
      [['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'chunked']],
      [['Transfer-Encoding', 'chunked, gzip']],
      [['Transfer-Encoding', '']],
      [['Transfer-Encoding', '"chunked"']],
      [['Host', 'b']],
    ];
    for (const lines of cases) {
      const v = frame(lines);
      assert.equal(v.ok, false, JSON.stringify(lines));
      assert.equal(!v.ok && v.status, 400, JSON.stringify(lines));
    }
  });

  it('refuses a transfer coding other than chunked with 501, and any Transfer-Encoding in HTTP/1.0 with 400', () => {
    for (const value of ['gzip, chunked', 'identity, chunked']) {
      const v = frame([['Transfer-Encoding', value]]);
      assert.equal(!v.ok && v.status, 501, value);
    }
    const v = frame([['Transfer-Encoding', 'chunked']], 0);
    assert.equal(!v.ok && v.status, 400);
  });

  it('writes its own framing headers over whatever is there', () => {
    const h: IncomingHttpHeaders = { 'content-length': '0', 'transfer-encoding': 'gzip, chunked', 'x-a': '1' };
    writeFraming(h, { kind: 'chunked' }, 'DELETE');
    assert.deepEqual(h, { 'x-a': '1', 'transfer-encoding': 'chunked' });
    writeFraming(h, { kind: 'length', length: 7 }, 'OPTIONS');
    assert.deepEqual(h, { 'x-a': '1', 'content-length': '7' });
    writeFraming(h, { kind: 'none' }, 'GET');
    assert.deepEqual(h, { 'x-a': '1' });
    writeFraming(h, { kind: 'none' }, 'POST');
    assert.deepEqual(h, { 'x-a': '1', 'content-length': '0' });
  });
});

describe('framing pass on http-proxy-3', () => {
  it("removes deleteLength and runs wsgate's pass right before stream", () => {
    const proxy = createProxyServer({});
    const before = webPasses(proxy).map((p) => p.name);
    assert.ok(before.includes('deleteLength'), 'http-proxy-3 still has the pass this removes');
    installFraming(proxy, () => undefined);
    const names = webPasses(proxy).map((p) => p.name);
    assert.equal(names.includes('deleteLength'), false);
    assert.equal(names.indexOf(FRAMING_PASS), names.indexOf('stream') - 1);
    proxy.close();
  });

  it('a request with no framing is not sent; one with framing gets exactly wsgate\'s header', () => {
    const proxy = createProxyServer({});
    const framings = new Map<object, { kind: 'length'; length: number }>();
    installFraming(proxy, (req) => framings.get(req));
    const pass = webPasses(proxy).find((p) => p.name === FRAMING_PASS)!;
    let destroyed = false;
    const res = { destroy: () => (destroyed = true) } as never;
    const unframed = { method: 'DELETE', headers: { 'transfer-encoding': 'chunked' } } as never;
    assert.equal(pass(unframed, res), true, 'web() stops before stream');
    assert.equal(destroyed, true);
    const framed = { method: 'DELETE', headers: { 'content-length': '0', 'transfer-encoding': 'chunked' } };
    framings.set(framed, { kind: 'length', length: 9 });
    assert.equal(pass(framed as never, res), false);
    assert.deepEqual(framed.headers, { 'content-length': '9' });
    proxy.close();
  });

  it("refuses to install when http-proxy-3 is told to send through fetch() (FORCE_FETCH_PATH)", () => {
    const proxy = createProxyServer({});
    process.env.FORCE_FETCH_PATH = 'true';
    try {
      assert.throws(() => installFraming(proxy, () => undefined), /FORCE_FETCH_PATH/);
    } finally {
      delete process.env.FORCE_FETCH_PATH;
      proxy.close();
    }
  });

  it('refuses to install on passes it does not know (an http-proxy-3 upgrade must be looked at)', () => {
    const proxy = createProxyServer({});
    webPasses(proxy).splice(0, webPasses(proxy).length);
    assert.throws(() => installFraming(proxy, () => undefined), /web passes changed/);
    proxy.close();
  });
});
