// The h2c sessions to backends (src/proxy/h2c-sessions.ts): one per endpoint and reused, a new
// one after GOAWAY, retired endpoints' sessions closed, and the connect bounded by connectMs.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import type http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { H2cSessions } from '../../src/proxy/h2c-sessions.js';
import { makeEndpoint } from '../../src/routing/types.js';
import { startBlackhole } from '../helpers/blackhole.js';
import { startH2cBackend, type H2cBackend } from '../helpers/h2c-backend.js';
import { refusedPort } from '../helpers/refused-port.js';

/** A GET on `session`; resolves with the status once the response ends. */
async function get(session: http2.ClientHttp2Session, path: string): Promise<number> {
  const stream = session.request({ ':method': 'GET', ':path': path });
  const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  stream.resume();
  await once(stream, 'end');
  return Number(headers[':status']);
}

describe('h2c sessions to backends', () => {
  let backend: H2cBackend;
  const sessions = new H2cSessions();

  before(async () => {
    backend = await startH2cBackend();
  });

  after(async () => {
    sessions.closeAll();
    await backend.close();
  });

  test('one session per endpoint, reused; after the backend\'s GOAWAY the next request gets a new one', async () => {
    const endpoint = makeEndpoint('127.0.0.1', backend.port);
    const first = sessions.for(endpoint, 0);
    assert.equal(await get(first, '/'), 200);
    assert.equal(sessions.for(endpoint, 0), first, 'the open session is reused');
    assert.equal(await get(first, '/'), 200);
    assert.equal(backend.sessions.length, 1);
    const goaway = once(first, 'goaway');
    backend.sessions[0]!.goaway();
    await goaway;
    const second = sessions.for(endpoint, 0);
    assert.notEqual(second, first);
    assert.equal(await get(second, '/'), 200);
    assert.equal(backend.sessions.length, 2);
  });

  test('a retired endpoint\'s session is closed: no new streams, and the next lookup opens another', async () => {
    const endpoint = makeEndpoint('127.0.0.1', backend.port);
    const open = sessions.for(endpoint, 0);
    assert.equal(await get(open, '/'), 200);
    sessions.retire([endpoint.id]);
    assert.ok(open.closed, 'closed (streams in flight would finish first)');
    assert.notEqual(sessions.for(endpoint, 0), open);
  });

  test('a refused connect cancels the session\'s streams with ECONNREFUSED as the cause', async () => {
    const port = await refusedPort();
    const session = sessions.for(makeEndpoint('127.0.0.1', port), 0);
    const [err] = (await once(session.request({ ':path': '/' }), 'error')) as [Error & { cause?: NodeJS.ErrnoException }];
    assert.equal(err.cause?.code, 'ECONNREFUSED');
  });

  test('a session that does not connect within connectMs is destroyed, ECONNECT_TIMEOUT the cause of its streams\' failure', async () => {
    const hole = await startBlackhole();
    try {
      const session = sessions.for(makeEndpoint('127.0.0.1', hole.port), 200);
      // Node cancels the pending stream, the session's error as its cause (h2c-attempt.ts reads it).
      const [err] = (await once(session.request({ ':path': '/' }), 'error')) as [Error & { cause?: NodeJS.ErrnoException }];
      assert.equal(err.cause?.code, 'ECONNECT_TIMEOUT');
      assert.ok(session.destroyed);
    } finally {
      await hole.close();
    }
  });
});
