// The pure pieces of RFC 8441 in wsgate: which extended CONNECTs are refused before routing,
// the HTTP/1.1 upgrade request a stream is read as, and the HTTP/2 response fields made of a
// backend's answer head.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type http2 from 'node:http2';
import { checkExtendedConnect, upgradeRequestOf } from '../../src/proxy/h2-websocket/request.js';
import { h2ResponseHeaders } from '../../src/proxy/h2-websocket/response-headers.js';

const base: http2.IncomingHttpHeaders = { ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': '/chat?a=1', ':authority': 'chat.test', 'sec-websocket-version': '13' };

test('checkExtendedConnect: a well-formed stream passes; each malformed one gets its status', () => {
  assert.equal(checkExtendedConnect(base), null);
  assert.equal(checkExtendedConnect({ ...base, host: 'CHAT.test' }), null, 'a Host equal to :authority');
  const status = (h: http2.IncomingHttpHeaders) => checkExtendedConnect(h)?.status;
  assert.equal(status({ ...base, ':protocol': 'connect-udp' }), 501);
  assert.equal(status({ ...base, ':path': undefined }), 400);
  assert.equal(status({ ...base, ':scheme': undefined }), 400);
  assert.equal(status({ ...base, ':path': 'http://other.test/chat' }), 400);
  assert.equal(status({ ...base, ':path': '*' }), 400);
  assert.equal(status({ ...base, 'x-a': 'one\r\nX-Injected: 1' }), 400, 'a value that would end its line to the backend');
  assert.equal(status({ ...base, 'x-a': ['ok', 'two\nthree'] }), 400);
  assert.equal(status({ ...base, 'x-a': 'nul\0' }), 400);
  assert.equal(status({ ...base, 'x a': 'v' }), 400, 'a name that is no token');
  assert.equal(status({ ...base, 'X-Upper': 'v' }), 400);
  assert.equal(status({ ...base, ':authority': undefined }), 400);
  assert.equal(status({ ...base, host: 'other.test' }), 400);
  assert.equal(status({ ...base, 'content-length': '5' }), 400);
  assert.equal(status({ ...base, 'content-length': '0' }), undefined);
  assert.equal(status({ ...base, 'transfer-encoding': 'chunked' }), 400);
  const version = checkExtendedConnect({ ...base, 'sec-websocket-version': '8' });
  assert.equal(version?.status, 426);
  assert.deepEqual(version?.headers, { 'Sec-WebSocket-Version': '13' });
});

test('upgradeRequestOf: GET :path with Host :authority first; what only an HTTP/1.1 handshake has is wsgate\'s own, never the client\'s', () => {
  const stream = new PassThrough();
  const socket = { remoteAddress: '::1', remotePort: 5000, localAddress: '::1', localPort: 8443, encrypted: true };
  const req = upgradeRequestOf(stream, { socket } as never, {
    ...base,
    'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAA==',
    'sec-websocket-protocol': 'chat',
    cookie: 'a=1; b=2',
    'x-tag': 'one',
  });
  assert.equal(req.method, 'GET');
  assert.equal(req.url, '/chat?a=1');
  assert.equal(Object.keys(req.headers)[0], 'host');
  assert.equal(req.headers.host, 'chat.test');
  assert.notEqual(req.headers['sec-websocket-key'], 'AAAAAAAAAAAAAAAAAAAAAA==');
  assert.match(String(req.headers['sec-websocket-key']), /^[A-Za-z0-9+/]{22}==$/);
  assert.equal(req.headers.upgrade, 'websocket');
  assert.equal(req.headers.connection, 'Upgrade');
  assert.equal(req.headers['sec-websocket-version'], '13');
  assert.equal(req.headers['sec-websocket-protocol'], 'chat');
  assert.equal(req.headers.cookie, 'a=1; b=2');
  assert.ok(!Object.keys(req.headers).some((k) => k.startsWith(':')), 'no pseudo-header reaches the backend');
  assert.equal(req.socket.remoteAddress, '::1');
  assert.equal(req.socket.localPort, 8443);
  assert.equal((req.socket as unknown as { encrypted: boolean }).encrypted, true);
  // The stream, not the connection, says whether the client is gone.
  assert.equal(req.socket.destroyed, false);
  stream.destroy();
  assert.equal(req.socket.destroyed, true);
  const other = upgradeRequestOf(new PassThrough(), { socket } as never, base);
  assert.notEqual(other.headers['sec-websocket-key'], req.headers['sec-websocket-key'], 'a fresh key per stream');
});

test('h2ResponseHeaders: the status given, fields lower-cased, connection-specific ones and the accept dropped, Set-Cookie one field per cookie', () => {
  const head = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade, X-Hop',
    'X-Hop: 1',
    'Keep-Alive: timeout=5',
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    'Sec-WebSocket-Protocol: chat',
    'Sec-WebSocket-Extensions: permessage-deflate',
    'Set-Cookie: aff=1; Path=/',
    'Set-Cookie: other=2',
    'X-Multi: a',
    'X-Multi: b',
    'Bad Name: dropped',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  assert.deepEqual(h2ResponseHeaders(head, 200), {
    ':status': '200',
    'sec-websocket-protocol': 'chat',
    'sec-websocket-extensions': 'permessage-deflate',
    'set-cookie': ['aff=1; Path=/', 'other=2'],
    'x-multi': 'a, b',
  });
  assert.equal(h2ResponseHeaders(head, 403, true)['content-length'], '0', 'kept when the body is relayed as delimited');
});
