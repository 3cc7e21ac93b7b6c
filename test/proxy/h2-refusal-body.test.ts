// A backend that refuses an RFC 8441 WebSocket with a chunked body: the client gets the status,
// the fields (no transfer-encoding) and the body's data as DATA frames without the chunk
// framing (HTTP/2 has no chunked coding), then END_STREAM. Written by hand, so the chunks come
// split across writes, with an extension and a trailer.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { route } from '../fixtures.js';
import { startHeadBackend, type HeadBackend } from '../helpers/head-backend.js';
import { startH2Proxy, type H2Proxy } from '../helpers/h2-proxy.js';
import { bodyOf, extendedConnect } from '../helpers/h2-websocket.js';

const PARTS = [
  'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\nx-reason: policy\r\n\r\n',
  '7;ext=1\r\nnot you',
  '\r\n',
  '1b\r\n, not with this subprotocol\r\n0\r\nx-trailer: t\r\n\r\n',
];

describe('RFC 8441: a refusal with a chunked body reaches the client de-chunked', () => {
  let backend: HeadBackend;
  let h: H2Proxy;

  before(async () => {
    backend = await startHeadBackend((_head, socket) => {
      // Each part on a turn of its own: the relay sees the chunks split.
      let i = 0;
      const next = () => {
        if (i < PARTS.length) socket.write(PARTS[i++]!, () => setImmediate(next));
      };
      next();
    });
    h = await startH2Proxy([route('refused', { match: { path: '/ws' }, backend: { endpoints: [{ host: '127.0.0.1', port: backend.port }] } })]);
  });
  after(async () => {
    await h.close();
    await backend.close();
  });

  test('403 with its fields, the data of its chunks as the body, and a clean end', async () => {
    const answer = await extendedConnect(h.session, '/ws');
    assert.equal(answer.status, 403);
    assert.equal(answer.headers['x-reason'], 'policy');
    assert.equal(answer.headers['transfer-encoding'], undefined);
    assert.equal(await bodyOf(answer), 'not you, not with this subprotocol');
    assert.ok(answer.stream.readableEnded, 'the body ended with END_STREAM');
  });
});
