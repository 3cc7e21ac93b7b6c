// The whole migration path with real processes: an ocelot.json naming a real echo backend
// (port 0, so the file is written at test time) -> `wsgate convert` -> `wsgate validate` ->
// `wsgate standalone` -> a real `ws` client reaches the backend the input named, with the
// downstream path Ocelot would have used; and the SignalR-style route keeps plain HTTP.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { rawRequest } from '../helpers/raw-http.js';
import { connect } from '../helpers/ws-client.js';
import { runCli, startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

describe('round trip: ocelot.json -> convert -> validate -> standalone -> ws client', () => {
  let backend: EchoServer;
  let other: EchoServer;
  let gw: WsgateChild | undefined;
  const dir = tempDir('wsgate-roundtrip-');
  const routesFile = path.join(dir, 'routes.yaml');

  before(async () => {
    backend = await startEchoServer({ name: 'chat-backend', host: '127.0.0.1' });
    other = await startEchoServer({ name: 'other-backend', host: '127.0.0.1' });
    const ocelotJson = {
      Routes: [
        {
          DownstreamPathTemplate: '/hub/{catchAll}',
          DownstreamScheme: 'ws',
          DownstreamHostAndPorts: [{ Host: '127.0.0.1', Port: backend.port }],
          UpstreamPathTemplate: '/gateway/{catchAll}',
          UpstreamHttpMethod: ['GET', 'POST'],
          LoadBalancerOptions: { Type: 'LeastConnection' },
        },
        {
          DownstreamPathTemplate: '/ws',
          UpstreamPathTemplate: '/',
          DownstreamScheme: 'ws',
          DownstreamHostAndPorts: [{ Host: '127.0.0.1', Port: other.port }],
        },
      ],
      GlobalConfiguration: { BaseUrl: 'http://localhost:5000' },
    };
    const input = path.join(dir, 'ocelot.json');
    fs.writeFileSync(input, JSON.stringify(ocelotJson, null, 2));
    const converted = await runCli(['convert', '--strict', input]);
    assert.equal(converted.code, 0, converted.stderr);
    fs.writeFileSync(routesFile, converted.stdout);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
    await other?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('wsgate validate accepts the converted file', async () => {
    const v = await runCli(['validate', routesFile]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /2 route\(s\): valid/);
  });

  test('a ws client through wsgate standalone reaches the backends the input named', async () => {
    gw = await startWsgate(['standalone', '--config', routesFile]);
    const c = await connect(`${gw.url}/gateway/room1?x=1`);
    assert.equal(c.hello.backend, 'chat-backend');
    assert.equal(c.hello.path, '/hub/room1?x=1');
    assert.equal(await c.echo('hello through a converted route'), 'hello through a converted route');
    await c.close();
    const root = await connect(`${gw.url}/`);
    assert.equal(root.hello.backend, 'other-backend');
    // The root's slash is the path itself, not a trailing slash: "/" reaches the backend as /ws,
    // as with Ocelot.
    assert.equal(root.hello.path, '/ws');
    await root.close();
    // UpstreamHttpMethod became spec.http: a plain POST reaches the backend (the echo backend
    // answers any plain request with 426 and no Upgrade header; wsgate's own 426 has one).
    const post = 'POST /gateway/negotiate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}';
    const plain = await rawRequest(gw.proxyPort, post);
    assert.equal(plain.status, 426);
    assert.equal(plain.headers.upgrade, undefined);
    const del = await rawRequest(gw.proxyPort, 'DELETE /gateway/negotiate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.equal(del.status, 405);
  });
});
