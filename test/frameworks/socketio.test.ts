// The real socket.io-client against real Socket.IO servers, through wsgate. Default transports
// start with HTTP long polling (handshake, then POSTs and GETs carrying the engine's sid) and
// then upgrade to a WebSocket with the same sid: every one of those requests must reach the
// backend that issued the sid, which only the affinity cookie guarantees with two backends.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { eventually } from '../helpers/eventually.js';
import { scrapeMetrics, seriesValue } from '../helpers/metrics-scrape.js';
import { endpointsOf, startFrameworkWsgate, type FrameworkWsgate } from './wsgate.js';

const CLIENTS = 12;

interface Opened {
  socket: Socket;
  sid: string;
  transport: string;
}

/** Connects; with `awaitUpgrade`, resolves only after the engine's upgrade to WebSocket. */
function open(url: string, opts: Parameters<typeof io>[1], awaitUpgrade: boolean): Promise<Opened> {
  const socket = io(url, { forceNew: true, reconnection: false, timeout: 10000, ...opts });
  // The engine exists as soon as io() returns; listen before the upgrade can happen.
  const upgraded = awaitUpgrade ? new Promise<void>((resolve) => socket.io.engine.once('upgrade', () => resolve())) : Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
    socket.once('connect', () => {
      upgraded.then(() => resolve({ socket, sid: socket.io.engine.id, transport: socket.io.engine.transport.name }), reject);
    });
  });
}

async function whoamiTimes(socket: Socket, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await socket.timeout(5000).emitWithAck('whoami')) as string);
  return out;
}

describe('Socket.IO through wsgate', () => {
  let fw: FrameworkWsgate;
  const sockets: Socket[] = [];

  before(async () => {
    fw = await startFrameworkWsgate((backends) => [
      {
        name: 'socketio',
        spec: {
          match: { path: '/socket.io/' },
          backend: { endpoints: endpointsOf(backends), path: '/socket.io/' },
          http: { methods: ['GET', 'POST'] },
          sessionAffinity: { cookie: {} },
          // wsgate's pings and limits on the WebSocket transport: Socket.IO must not notice.
          keepalive: { pingInterval: '50ms', pongTimeout: '5s' },
          messages: { maxBytes: '1Mi', rate: { perSecond: 1000 } },
        },
      },
      {
        // Same backends, no spec.http: only the upgrade is proxied.
        name: 'socketio-upgrade-only',
        spec: {
          match: { path: '/nohttp/socket.io/' },
          backend: { endpoints: endpointsOf(backends), path: '/socket.io/' },
        },
      },
    ]);
  });

  after(async () => {
    for (const s of sockets) s.close();
    await fw?.close();
  });

  test(`default transports (polling, then upgrade) with the affinity cookie: ${CLIENTS} clients each stay on one backend`, async () => {
    // withCredentials: in Node, engine.io-client then keeps a cookie jar for its polling
    // requests and the WebSocket upgrade, so the affinity cookie comes back on each of them.
    const opened = await Promise.all(Array.from({ length: CLIENTS }, () => open(fw.httpUrl, { withCredentials: true }, true)));
    sockets.push(...opened.map((o) => o.socket));
    const perBackend = new Map<string, number>();
    for (const o of opened) {
      assert.equal(o.transport, 'websocket', 'the engine upgraded to WebSocket');
      assert.equal(o.socket.io.engine.transport.name, 'websocket');
      const jar = [...(o.socket.io.engine._cookieJar?.cookies ?? [])].map(([name]) => name);
      assert.ok(jar.includes('wsgate-affinity'), `the client kept the affinity cookie (jar: ${jar.join(',')})`);
      const names = await whoamiTimes(o.socket, 3);
      assert.equal(new Set(names).size, 1, `one client, one backend: ${names.join(',')}`);
      const echo = (await o.socket.timeout(5000).emitWithAck('echo', 'hi')) as string;
      assert.equal(echo, `${names[0]}:hi`);
      perBackend.set(names[0]!, (perBackend.get(names[0]!) ?? 0) + 1);

      // Every request carrying this sid (polls, posts, the upgrade) reached the named backend only.
      for (const b of fw.backends) {
        const withSid = b.requests.filter((r) => r.url.includes(`sid=${encodeURIComponent(o.sid)}`));
        if (b.name === names[0]) {
          assert.ok(withSid.some((r) => r.headers.upgrade === 'websocket'), `the upgrade reached ${b.name}`);
          assert.ok(withSid.some((r) => r.method === 'POST'), `a polling POST reached ${b.name}`);
        } else {
          assert.deepEqual(withSid, [], `no request of sid ${o.sid} reached ${b.name}`);
        }
      }
    }
    // wsgate pinged the WebSocket transports; the answers never disturbed Socket.IO.
    await eventually('keepalive pings answered', async () => {
      return seriesValue(await scrapeMetrics(fw.gw), 'wsgate_pings_total', 'route="socketio",result="pong"') >= CLIENTS;
    });
    for (const o of opened) assert.equal((await o.socket.timeout(5000).emitWithAck('echo', 'again')) as string, `${(await whoamiTimes(o.socket, 1))[0]}:again`);
    console.log(`# socket.io default transports: clients per backend ${JSON.stringify(Object.fromEntries(perBackend))}`);
    assert.equal(perBackend.size, 2, 'clients spread over both backends');
  });

  test(`websocket-only transport with the same route paths: ${CLIENTS} clients`, async () => {
    const opened = await Promise.all(Array.from({ length: CLIENTS }, () => open(fw.httpUrl, { transports: ['websocket'] }, false)));
    sockets.push(...opened.map((o) => o.socket));
    const seen = new Set<string>();
    for (const o of opened) {
      assert.equal(o.transport, 'websocket');
      const names = await whoamiTimes(o.socket, 2);
      assert.equal(new Set(names).size, 1);
      seen.add(names[0]!);
    }
    // The upgrade reached Socket.IO with the trailing slash of /socket.io/ kept.
    for (const b of fw.backends) {
      for (const r of b.requests.filter((r) => r.headers.upgrade === 'websocket' && !r.url.includes('sid='))) {
        assert.match(r.url, /^\/socket\.io\/\?EIO=4&transport=websocket/);
      }
    }
    assert.equal(seen.size, 2, 'clients spread over both backends');
  });

  test('a route without spec.http refuses the polling transport with 426', async () => {
    const direct = await fetch(`${fw.httpUrl}/nohttp/socket.io/?EIO=4&transport=polling`);
    assert.equal(direct.status, 426);
    assert.match(await direct.text(), /spec\.http\.methods/);

    const err = await open(fw.httpUrl, { path: '/nohttp/socket.io/' }, false).then(
      () => assert.fail('connected without spec.http'),
      (e: Error & { description?: unknown }) => e,
    );
    assert.equal(err.message, 'xhr poll error');
    assert.equal(err.description, 426);
  });
});
