// HTTPRoute sessionPersistence over RFC 8441: the affinity value of a header session (with an
// absoluteTimeout, so an ending v2 value) is handed out in the stream's response HEADERS and
// read from the extended CONNECT's fields, through the same choose and respond stages as an
// HTTP/1.1 upgrade. Two real echo backends behind one rule, weights 1:1, a random source that
// alternates (without the session consecutive streams change backend).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { startEchoServer, type Hello } from '../../examples/echo-server.js';
import { WebSocketProxy } from '../../src/proxy/server.js';
import { compile } from '../../src/routing/compile.js';
import { makeEndpoint, type ServiceResolver } from '../../src/routing/types.js';
import { connectH2, openH2WebSocket, startH2Edge } from '../helpers/h2-websocket.js';
import { entry, gatewayInput, service } from '../routing/gateway-entries.js';

test('RFC 8441: a header session (absoluteTimeout) is handed out on the first stream and keeps the next streams on its backend', async () => {
  const a = await startEchoServer({ name: 'a' });
  const b = await startEchoServer({ name: 'b' });
  let flip = 0;
  const proxy = new WebSocketProxy({ logger: pino({ level: 'silent' }), random: () => (flip++ % 2 === 0 ? 0.25 : 0.75) });
  const resolveService: ServiceResolver = (namespace, ref) => {
    const port = { a: a.port, b: b.port }[ref.name];
    return port ? { ok: true, endpoints: [makeEndpoint('127.0.0.1', port)] } : { ok: false, reason: 'ServiceNotFound', message: `Service ${namespace}/${ref.name} not found` };
  };
  const sessions = entry('chat', { backends: [service('a', 80), service('b', 80)], sessionPersistence: { type: 'Header', name: 'X-Session', lifetime: 'Session', absoluteTimeoutMs: 600_000 } });
  const plainEntry = entry('plain', { path: { type: 'PathPrefix', value: '/plain' }, backends: [service('a', 80), service('b', 80)] });
  proxy.setTable(compile({ routes: [], resolveService, gateway: gatewayInput([sessions, plainEntry]) }).table);
  const edge = await startH2Edge((stream, headers) => proxy.onWebSocketStream(stream, headers, 'gw-80'));
  const session = await connectH2(edge.port, edge.ca);
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const c = await openH2WebSocket(session, path, headers);
    const backend = (JSON.parse(String(await c.next())) as Hello).backend;
    c.ws.close(1000);
    await c.closed;
    return { backend, value: c.headers['x-session'] };
  };
  try {
    // The control: without a session, consecutive streams change backend.
    assert.deepEqual(new Set([(await open('/plain')).backend, (await open('/plain')).backend]), new Set(['a', 'b']));
    const first = await open('/hub');
    assert.equal(typeof first.value, 'string');
    assert.match(first.value as string, /^v2\.[A-Za-z0-9_-]+\.[0-9a-z]+\.[A-Za-z0-9_-]+$/, 'an ending value in the x-session field');
    for (let i = 0; i < 4; i++) {
      const next = await open('/hub', { 'x-session': first.value as string });
      assert.equal(next.backend, first.backend, `stream ${i} with the session`);
      assert.equal(next.value, undefined, 'the client already has its value');
    }
  } finally {
    session.destroy();
    await proxy.close();
    await edge.close();
    await Promise.all([a.close(), b.close()]);
  }
});
