import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import {
  applyHeaderRules,
  claimHeaderValue,
  compileHeaderRules,
  queryParam,
  removeSubprotocolEntries,
  safeHeaderValue,
  stripHopByHop,
  withoutQueryParams,
} from '../../src/security/request-headers.js';

describe('request headers', () => {
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
