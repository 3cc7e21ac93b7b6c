// The upgrade exchange runs on callbacks from the backend connect (no promise the entry could
// catch): a throw once the backend is connected is still logged, answered 500 to the client,
// and leaves no backend socket or endpoint count behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { EndpointLoad } from '../../src/balancer/load.js';
import { RequestContext } from '../../src/pipeline/context.js';
import { ConnectionRegistry } from '../../src/proxy/connections.js';
import type { CompiledRoute } from '../../src/routing/types.js';
import type { Endpoint } from '../../src/routing/endpoint.js';
import { bareExchanges } from '../helpers/bare-exchanges.js';
import { eventually } from '../helpers/eventually.js';

test('a throw after the backend connect: logged, 500 to the client, backend closed, endpoint count given back', async () => {
  const accepted: net.Socket[] = [];
  let backendClosed = false;
  const server = net.createServer((s) => {
    accepted.push(s);
    s.on('close', () => (backendClosed = true));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = { id: 'a', host: '127.0.0.1', port: (server.address() as net.AddressInfo).port } as unknown as Endpoint;
  const connections = new ConnectionRegistry();
  const client = new PassThrough();
  try {
    const logged: Array<{ msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line) as { msg: string }) });
    const load = new EndpointLoad();
    const exchanges = bareExchanges(load, connections, log);
    // A header value that is neither a string nor a list: writing the request head throws.
    const ctx = new RequestContext('upgrade', { headers: { 'x-bad': 5 }, url: '/' } as never, '127.0.0.1', 'main');
    ctx.route = { key: 'default/throw', timeouts: { connectMs: 5000, upgradeMs: 5000 }, backend: {} } as unknown as CompiledRoute;
    let answer = '';
    client.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    exchanges.run(ctx, client, Buffer.alloc(0), () => endpoint, 1);
    assert.equal(load.get('a'), 1, 'counted from the choice');
    await eventually('the client answered 500', () => answer.startsWith('HTTP/1.1 500'));
    assert.ok(logged.some((l) => l.msg === 'upgrade handler failed'), 'logged');
    assert.equal(load.get('a'), 0, 'the endpoint count given back');
    await eventually('the backend connection closed', () => backendClosed);
  } finally {
    client.destroy();
    for (const s of accepted) s.destroy();
    connections.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
