// --host-ownership in a real `wsgate standalone`: a route of another namespace cannot take a more
// specific path on a host that a namespace owns; with `shared` (the command-line default) it can.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEchoServer, type EchoServer } from '../../examples/echo-server.js';
import { routesYaml } from '../helpers/routes-yaml.js';
import { connect } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

describe('host ownership (standalone)', () => {
  let owner: EchoServer;
  let intruder: EchoServer;
  let byNamespace: WsgateChild;
  let shared: WsgateChild;

  before(async () => {
    owner = await startEchoServer({ name: 'owner' });
    intruder = await startEchoServer({ name: 'intruder' });
    const file = path.join(tempDir(), 'routes.yaml');
    // No creationTimestamp in a file: age ties, and namespace/name decides (team-a first).
    fs.writeFileSync(
      file,
      routesYaml([
        { name: 'chat', namespace: 'team-a', spec: { hosts: ['chat.example.com'], match: { path: '/chat/{rest}' }, backend: { endpoints: [{ host: '127.0.0.1', port: owner.port }] } } },
        { name: 'admin', namespace: 'team-b', spec: { hosts: ['chat.example.com'], match: { path: '/chat/admin' }, backend: { endpoints: [{ host: '127.0.0.1', port: intruder.port }] } } },
      ]),
    );
    byNamespace = await startWsgate(['standalone', '--config', file, '--host-ownership', 'namespace']);
    shared = await startWsgate(['standalone', '--config', file]);
  });

  after(async () => {
    await byNamespace?.stop();
    await shared?.stop();
    await owner?.close();
    await intruder?.close();
  });

  const backendFor = async (gw: WsgateChild) => {
    const c = await connect(`${gw.url}/chat/admin`, { headers: { Host: 'chat.example.com' } });
    await c.close();
    return c.hello.backend;
  };

  test('namespace: the owner keeps its host; the other namespace\'s more specific path is not served', async () => {
    assert.equal(await backendFor(byNamespace), 'owner');
  });

  test('shared: the more specific path of the other namespace wins, as before', async () => {
    assert.equal(await backendFor(shared), 'intruder');
  });
});
