// The snapshot stream on 127.0.0.1 with real mutual TLS: what a proxy accepts, what the
// controller refuses, the newest-only delivery to a proxy that falls behind, and reconnection.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { pino } from 'pino';
import { SnapshotClient } from '../../src/stream/client.js';
import { decodeMessage, encodeFrame, FrameReader, STREAM_PROTOCOL } from '../../src/stream/codec.js';
import { SnapshotServer } from '../../src/stream/server.js';
import type { StreamTls } from '../../src/stream/tls-files.js';
import type { TableSnapshot } from '../../src/workers/snapshot.js';
import { makeCa, type TestCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { sampleSnapshot } from './sample.js';

const log = pino({ level: 'silent' });
const CONTROLLER = 'wsgate-controller.wsgate.svc';
const PROXY = 'wsgate-proxy';

interface Install {
  ca: TestCa;
  controller: StreamTls;
  proxy: StreamTls;
}

function install(name: string): Install {
  const ca = makeCa(name);
  const creds = (leaf: { cert: string; key: string }): StreamTls => ({ ca: Buffer.from(ca.cert), cert: Buffer.from(leaf.cert), key: Buffer.from(leaf.key) });
  // As Helm's genSignedCert issues them: both usages.
  return {
    ca,
    controller: creds(ca.issue('wsgate-controller', [CONTROLLER, 'wsgate-controller'], 'serverAuth,clientAuth')),
    proxy: creds(ca.issue(PROXY, [PROXY], 'serverAuth,clientAuth')),
  };
}

function startServer(creds: StreamTls, heartbeatMs = 60_000): { server: SnapshotServer; refused: string[] } {
  const refused: string[] = [];
  const server = new SnapshotServer({ tls: creds, clientName: PROXY, log, heartbeatMs, onRefused: (r) => refused.push(r) });
  return { server, refused };
}

function startClient(port: number, creds: StreamTls, opts: { silenceTimeoutMs?: number } = {}) {
  const got: TableSnapshot[] = [];
  const states: boolean[] = [];
  const waiters = new Set<() => void>();
  const client = new SnapshotClient({
    host: '127.0.0.1',
    port,
    serverName: CONTROLLER,
    loadTls: () => creds,
    log,
    onSnapshot: (s) => {
      got.push(s);
      for (const w of waiters) w();
    },
    onConnected: (up) => states.push(up),
    silenceTimeoutMs: opts.silenceTimeoutMs ?? 60_000,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  client.start();
  /** Resolves with the first snapshot of `version` (already received or still to come). */
  const snapshot = (version: number) =>
    new Promise<TableSnapshot>((resolve) => {
      const check = () => {
        const s = got.find((x) => x.version === version);
        if (s) {
          waiters.delete(check);
          resolve(s);
        }
      };
      waiters.add(check);
      check();
    });
  return { client, got, states, snapshot };
}

/** A raw TLS client (not a SnapshotClient): what it receives, and whether the connection ended. */
async function rawClient(port: number, creds: Partial<StreamTls> & { ca: Buffer }): Promise<{ frames: Buffer[]; ended: Promise<void>; socket: tls.TLSSocket }> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: CONTROLLER, ...creds });
  const frames: Buffer[] = [];
  const reader = new FrameReader();
  socket.on('data', (c: Buffer) => frames.push(...reader.push(c)));
  socket.on('error', () => {});
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // A refused handshake ends in an error (an alert): the connection simply ends.
  await Promise.race([once(socket, 'secureConnect').catch(() => undefined), ended]);
  return { frames, ended, socket };
}

describe('snapshot stream (mutual TLS on 127.0.0.1)', () => {
  let a: Install;
  let b: Install;

  before(() => {
    a = install('install A');
    b = install('install B');
  });

  test('a proxy of the install gets every table, Secret bytes included, and heartbeats confirm it', async (t) => {
    const { server } = startServer(a.controller, 20);
    const { port } = await server.listen('127.0.0.1', 0);
    const { client, states, snapshot } = startClient(port, a.proxy);
    t.after(async () => {
      client.stop();
      await server.close();
    });
    server.publish(sampleSnapshot(1));
    assert.deepEqual(await snapshot(1), sampleSnapshot(1));
    assert.equal(client.connected, true);
    assert.deepEqual(states, [true]);
    const first = client.confirmedAt!;
    await eventually('a heartbeat confirming version 1', () => client.confirmedAt! > first);
    server.publish(sampleSnapshot(2));
    assert.equal((await snapshot(2)).version, 2);
    assert.ok(client.ageSeconds(client.confirmedAt! + 60_000) >= 60, 'the age counts from the last confirmation');
  });

  test('each version is encoded once, however many proxies listen', async (t) => {
    const { server } = startServer(a.controller);
    const { port } = await server.listen('127.0.0.1', 0);
    const clients = [0, 1, 2].map(() => startClient(port, a.proxy));
    t.after(async () => {
      for (const c of clients) c.client.stop();
      await server.close();
    });
    await eventually('three proxies connected', () => server.subscriberCount === 3);
    let encodings = 0;
    const s = sampleSnapshot(1);
    const counted = { ...s, gateway: { entries: [], sockets: [], socketOf: {}, toJSON: () => (encodings++, { entries: [], sockets: [], socketOf: {} }) } };
    server.publish(counted);
    await Promise.all(clients.map((c) => c.snapshot(1)));
    assert.equal(encodings, 1);
  });

  test('a certificate of another install, or none, cannot open the stream', async (t) => {
    const { server, refused } = startServer(a.controller);
    const { port } = await server.listen('127.0.0.1', 0);
    t.after(() => server.close());
    server.publish(sampleSnapshot(1));
    const foreign = await rawClient(port, { ca: a.controller.ca, cert: b.proxy.cert, key: b.proxy.key });
    await foreign.ended;
    const none = await rawClient(port, { ca: a.controller.ca });
    await none.ended;
    assert.deepEqual([foreign.frames.length, none.frames.length], [0, 0]);
    assert.deepEqual(refused, ['handshake', 'handshake']);
    assert.equal(server.subscriberCount, 0);
  });

  test('a client that is not a proxy (the controller\'s own certificate, same CA) cannot fetch snapshots', async (t) => {
    const { server, refused } = startServer(a.controller);
    const { port } = await server.listen('127.0.0.1', 0);
    t.after(() => server.close());
    server.publish(sampleSnapshot(1));
    const impostor = await rawClient(port, { ca: a.controller.ca, cert: a.controller.cert, key: a.controller.key });
    await impostor.ended;
    assert.equal(impostor.frames.length, 0);
    assert.deepEqual(refused, ['identity']);
  });

  test('a proxy takes tables only from its own install\'s controller, by name', async (t) => {
    // Two fake controllers that would send a table to anyone: one of install B, one presenting a
    // certificate of install A that is not the controller's (a proxy's).
    for (const [what, creds] of [
      ['another install', b.controller],
      ['a proxy certificate of the same install', a.proxy],
    ] as const) {
      let attempts = 0;
      const fake = tls.createServer({ ...creds, requestCert: false }, (socket) => socket.end(encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: sampleSnapshot(1) })));
      fake.on('connection', () => attempts++);
      fake.on('tlsClientError', (_err, socket) => socket.destroy());
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      const { client, got, states } = startClient((fake.address() as net.AddressInfo).port, a.proxy);
      t.after(() => {
        client.stop();
        fake.close();
      });
      await eventually(`the proxy retrying against ${what}`, () => attempts >= 3);
      assert.deepEqual([got.length, states.length], [0, 0], what);
    }
  });

  test('a proxy that falls behind gets the newest table, not every one in between', async (t) => {
    const { server } = startServer(a.controller);
    const { port } = await server.listen('127.0.0.1', 0);
    const c = await rawClient(port, a.proxy);
    t.after(async () => {
      c.socket.destroy();
      await server.close();
    });
    await eventually('the proxy subscribed', () => server.subscriberCount === 1);
    // 2 MiB tables published back to back: the socket is still busy with the first.
    const big = (v: number): TableSnapshot => ({ ...sampleSnapshot(v), secrets: [['default\u0000big', { ok: true, data: { blob: Buffer.alloc(2 << 20, v) } }]] });
    for (let v = 1; v <= 30; v++) server.publish(big(v));
    await eventually('version 30 received', () => c.frames.some((f) => decodeMessage(f).type === 'snapshot' && f.includes('"version":30')), 400);
    const versions = c.frames.map((f) => decodeMessage(f)).flatMap((m) => (m.type === 'snapshot' ? [m.snapshot.version] : []));
    assert.equal(versions.at(-1), 30);
    assert.ok(versions.length < 30, `skipped the versions in between: ${versions.join(',')}`);
    t.diagnostic(`versions received: ${versions.join(',')}`);
    assert.deepEqual(versions, [...versions].sort((x, y) => x - y), 'in order');
  });

  test('without a controller the proxy keeps its table, reconnects and catches up', async (t) => {
    const first = startServer(a.controller);
    const { port } = await first.server.listen('127.0.0.1', 0);
    const { client, got, states, snapshot } = startClient(port, a.proxy);
    t.after(() => client.stop());
    first.server.publish(sampleSnapshot(5));
    await snapshot(5);
    await first.server.close();
    await eventually('the proxy noticing', () => states.at(-1) === false);
    // A new controller replica numbers its tables from 1: the proxy takes its table all the same.
    const second = startServer(a.controller);
    t.after(() => second.server.close());
    second.server.publish(sampleSnapshot(1));
    await second.server.listen('127.0.0.1', port);
    await snapshot(1);
    assert.deepEqual(got.map((s) => s.version), [5, 1]);
    assert.deepEqual(states, [true, false, true]);
  });

  test('a controller that goes silent is dropped and reconnected', async (t) => {
    let connections = 0;
    const silent = tls.createServer({ ...a.controller, requestCert: true, rejectUnauthorized: true }, (socket) => {
      connections++;
      socket.write(encodeFrame({ type: 'snapshot', protocol: STREAM_PROTOCOL, snapshot: sampleSnapshot(1) }));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { client, states } = startClient((silent.address() as net.AddressInfo).port, a.proxy, { silenceTimeoutMs: 200 });
    t.after(() => {
      client.stop();
      silent.close();
    });
    await eventually('a second connection after the silence', () => connections >= 2);
    assert.deepEqual(states.slice(0, 2), [true, false]);
  });

});
