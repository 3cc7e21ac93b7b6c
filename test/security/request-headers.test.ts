import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import {
  applyHeaderRules,
  claimHeaderValue,
  compileHeaderRules,
  connectionMayRemove,
  dropUnderscoreAliases,
  queryParam,
  removeSubprotocolEntries,
  safeHeaderValue,
  stripHopByHop,
  withoutQueryParams,
} from '../../src/security/request-headers.js';

describe('request headers', () => {
  it('drops "_" spellings of headers wsgate sets, protects or forwards, and keeps other "_" names', () => {
    const h: IncomingHttpHeaders = {
      'x-forwarded-for': '127.0.0.1',
      x_forwarded_for: '6.6.6.6',
      'x_forwarded-prefix': '/p',
      x_real_ip: '6.6.6.6',
      x_request_id: 'forged',
      'x_original_url': '/admin',
      x_rewrite_url: '/admin',
      content_length: '5',
      transfer_encoding: 'chunked',
      // A forwarded claim: dropped even when the token had no such claim (no x-user here).
      x_user: 'admin',
      'x-tenant': 'a',
      x_tenant: 'b',
      x_custom: 'kept',
      'accept_language': 'kept too',
    };
    dropUnderscoreAliases(h, new Set(['x-user']));
    assert.deepEqual(h, { 'x-forwarded-for': '127.0.0.1', 'x-tenant': 'a', x_custom: 'kept', accept_language: 'kept too' });
  });

  it('strips hop-by-hop headers and those Connection names, never the handshake ones', () => {
    const h: IncomingHttpHeaders = {
      host: 'a',
      connection: 'keep-alive, Upgrade, X-Secret, Host, Sec-WebSocket-Key',
      upgrade: 'websocket',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'x',
      te: 'trailers',
      trailer: 'x',
      'proxy-authorization': 'Basic x',
      'x-secret': '1',
      'sec-websocket-key': 'k',
      'x-kept': '1',
    };
    stripHopByHop(h);
    assert.deepEqual(h, { host: 'a', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', 'x-kept': '1' });
  });

  it('Connection cannot remove framing headers, Host, or anything wsgate sets, in any case or position', () => {
    const wsgateSets = {
      'x-request-id': 'rid',
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'h',
      'x-forwarded-port': '443',
      'x-forwarded-prefix': '/p',
      forwarded: 'for=1.2.3.4',
      'x-real-ip': '1.2.3.4',
      traceparent: 't',
      tracestate: 's',
      'x-user': 'claim',
    };
    const h: IncomingHttpHeaders = {
      host: 'a',
      connection: `Content-Length,TRANSFER-ENCODING , keep-alive, ${Object.keys(wsgateSets).map((n) => n.toUpperCase()).join(' ,')}, X-Hop`,
      'content-length': '5',
      'transfer-encoding': 'chunked',
      'x-hop': 'dropped',
      ...wsgateSets,
    };
    stripHopByHop(h, false, new Set(['x-user']));
    assert.deepEqual(h, { host: 'a', 'content-length': '5', 'transfer-encoding': 'chunked', ...wsgateSets });
  });

  it('connectionMayRemove: true only for names that are neither framing nor set by wsgate', () => {
    for (const name of ['content-length', 'transfer-encoding', 'host', 'connection', 'upgrade', 'x-request-id', 'x-forwarded-anything', 'forwarded', 'x-real-ip', 'traceparent', 'tracestate']) {
      assert.equal(connectionMayRemove(name), false, name);
    }
    assert.equal(connectionMayRemove('x-claim', new Set(['x-claim'])), false);
    assert.equal(connectionMayRemove('x-claim'), true);
    assert.equal(connectionMayRemove('x-custom-hop'), true);
  });

  it('header rules ignore framing headers (validation refuses them in a route file)', () => {
    const rules = compileHeaderRules({
      set: { 'Content-Length': '0', 'X-A': 'a', Connection: 'close' },
      add: { 'Transfer-Encoding': 'chunked', 'X-B': 'b' },
      remove: ['content-length', 'TE', 'X-C', 'Host'],
    });
    assert.deepEqual(rules, { set: [['x-a', 'a']], add: [['x-b', 'b']], remove: ['x-c', 'host'] });
  });

  it('applies remove, then set, then add', () => {
    const h: IncomingHttpHeaders = { cookie: 'c', 'x-a': 'client', 'x-b': 'one' };
    applyHeaderRules(h, compileHeaderRules({ remove: ['Cookie'], set: { 'X-A': 'gateway' }, add: { 'X-B': 'two', 'X-C': 'new' } }));
    assert.deepEqual(h, { 'x-a': 'gateway', 'x-b': ['one', 'two'], 'x-c': 'new' });
  });

  it('removes token-carrying subprotocol entries', () => {
    const h: IncomingHttpHeaders = { 'sec-websocket-protocol': 'bearer.abc.def, chat, bearer.x' };
    removeSubprotocolEntries(h, 'bearer.');
    assert.equal(h['sec-websocket-protocol'], 'chat');
    const only: IncomingHttpHeaders = { 'sec-websocket-protocol': 'bearer.abc' };
    removeSubprotocolEntries(only, 'bearer.');
    assert.equal('sec-websocket-protocol' in only, false);
  });

  it('reads and removes query parameters, keeping other bytes', () => {
    assert.equal(queryParam('/p?a=1&access_token=t%2Bk&b', 'access_token'), 't+k');
    assert.equal(queryParam('/p?a=1', 'access_token'), undefined);
    assert.equal(withoutQueryParams('/p?a=%20&access_token=t&b', new Set(['access_token'])), '/p?a=%20&b');
    assert.equal(withoutQueryParams('/p?access_token=t', new Set(['access_token'])), '/p');
    assert.equal(withoutQueryParams('/p', new Set(['access_token'])), '/p');
  });

  it('makes any value safe to write as a header', () => {
    assert.equal(safeHeaderValue('plain value'), 'plain value');
    assert.equal(safeHeaderValue('a\r\nInjected: x'), 'a%0D%0AInjected: x');
    assert.equal(safeHeaderValue('José €'), 'Jos%C3%A9 %E2%82%AC');
    assert.equal(claimHeaderValue(['a', 'b']), 'a,b');
    assert.equal(claimHeaderValue(42), '42');
    assert.equal(claimHeaderValue({ a: 1 }), '{"a":1}');
    assert.equal(claimHeaderValue(undefined), undefined);
  });
});
