// The controller's snapshot stream certificates change under it, as a Secret volume changes
// (the kubelet writes a new timestamped directory and swaps the `..data` link): a regenerated
// pair with a new CA serves new streams without a restart, established streams stay, and a
// half-written or mismatched set keeps the current certificates.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ControlPlane } from '../../src/control-plane.js';
import { SnapshotClient } from '../../src/stream/client.js';
import { readStreamTls, type StreamTls } from '../../src/stream/tls-files.js';
import type { TableSnapshot } from '../../src/workers/snapshot.js';
import { makeCa } from '../helpers/certs.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/wsgate-child.js';
import { route } from '../fixtures.js';

const CONTROLLER = 'wsgate-controller.wsgate.svc';
const PROXY = 'wsgate-proxy';

function install(name: string): { controller: StreamTls; proxy: StreamTls } {
  const ca = makeCa(name);
  const creds = (leaf: { cert: string; key: string }): StreamTls => ({ ca: Buffer.from(ca.cert), cert: Buffer.from(leaf.cert), key: Buffer.from(leaf.key) });
  return { controller: creds(ca.issue('wsgate-controller', [CONTROLLER], 'serverAuth')), proxy: creds(ca.issue(PROXY, [PROXY], 'clientAuth')) };
}

/** A directory laid out as the kubelet mounts a Secret: files linked through `..data` to a timestamped directory. */
function secretMount(first: StreamTls): { dir: string; swap(next: StreamTls): void } {
  const dir = tempDir('wsgate-stream-mount-');
  let generation = 0;
  const swap = (m: StreamTls) => {
    const data = `..gen_${++generation}`;
    fs.mkdirSync(path.join(dir, data));
    fs.writeFileSync(path.join(dir, data, 'ca.crt'), m.ca);
    fs.writeFileSync(path.join(dir, data, 'tls.crt'), m.cert);
    fs.writeFileSync(path.join(dir, data, 'tls.key'), m.key);
    fs.symlinkSync(data, path.join(dir, '..data_tmp'));
    fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
  };
  swap(first);
  for (const f of ['ca.crt', 'tls.crt', 'tls.key']) fs.symlinkSync(path.join('..data', f), path.join(dir, f));
  return { dir, swap };
}

function client(port: number, creds: StreamTls) {
  const got: TableSnapshot[] = [];
  const states: boolean[] = [];
  const c = new SnapshotClient({
    host: '127.0.0.1',
    port,
    serverName: CONTROLLER,
    loadTls: () => creds,
    log: pino({ level: 'silent' }),
    onSnapshot: (s) => void got.push(s),
    onConnected: (up) => void states.push(up),
    silenceTimeoutMs: 60_000,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  c.start();
  return { c, got, states };
}

describe('controller --no-proxy: the stream certificates re-read when the mounted files change', () => {
  const a = install('install A');
  const b = install('install B');
  const lines: string[] = [];
  let mount: ReturnType<typeof secretMount>;
  let plane: ControlPlane;
  let port = 0;
  const clients: Array<ReturnType<typeof client>> = [];

  before(async () => {
    mount = secretMount(a.controller);
    plane = new ControlPlane({
      logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
      stream: { tls: readStreamTls(mount.dir), tlsDir: mount.dir, clientName: PROXY, heartbeatMs: 60_000 },
    });
    port = (await plane.start({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 })).stream.port;
    plane.applyRoutes([route('chat', {})]);
  });

  after(async () => {
    for (const c of clients) c.c.stop();
    await plane?.stop();
  });

  test('a mismatched set keeps the current certificates; a regenerated pair and CA serve new streams; established streams stay', async () => {
    const first = client(port, a.proxy);
    clients.push(first);
    await eventually('install A\'s proxy streaming', () => first.got.length > 0);

    // Half of a rotation: the new certificate with the old key. Refused, the old pair stays.
    mount.swap({ ...a.controller, cert: b.controller.cert });
    await eventually('the refused reload', () => lines.some((l) => l.includes('cannot be used')));
    const stillA = client(port, a.proxy);
    clients.push(stillA);
    await eventually('a new stream with install A\'s certificates', () => stillA.got.length > 0);
    stillA.c.stop();

    // The whole regenerated set (a new CA, as a re-rendered helm Secret or a new cert-manager CA).
    mount.swap(b.controller);
    await eventually('the reload', () => lines.some((l) => l.includes('snapshot stream certificates reloaded')));
    const fresh = client(port, b.proxy);
    clients.push(fresh);
    await eventually('install B\'s proxy streaming without a controller restart', () => fresh.got.length > 0);
    assert.deepEqual(first.states, [true], 'the stream opened before the change was never dropped');
    plane.applyRoutes([route('chat', {}), route('chat2', { match: { path: '/two' } })]);
    await eventually('the established stream gets the next table', () => first.got.length > 1);

    // The old CA's proxies are no longer accepted for new streams.
    const stale = client(port, a.proxy);
    clients.push(stale);
    await eventually('install A\'s certificate refused', () => lines.some((l) => l.includes('TLS handshake failed')));
    assert.equal(stale.got.length, 0);
  });
});
