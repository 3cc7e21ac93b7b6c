// Connection lifecycle with real clients, backends and a real wsgate process: drain with close
// frames at frame boundaries, graceful shutdown, timeouts, rebalancing, passive health,
// consistent hashing and shared connection counts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { startEchoServer } from '../../examples/echo-server.js';
import type { RouteDoc } from '../helpers/routes-yaml.js';
import { reloadRoutes as reload, writeRoutes } from '../helpers/routes-yaml.js';
import { expectedMessage, startStreamingBackend } from '../helpers/streaming-backend.js';
import { connect, type OpenClient } from '../helpers/ws-client.js';
import { startWsgate, tempDir, type WsgateChild } from '../helpers/wsgate-child.js';

async function metrics(gw: WsgateChild): Promise<string> {
  return (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

const ep = (b: { port: number }) => ({ host: '127.0.0.1', port: b.port });

describe('drain', () => {
  test('an endpoint that leaves gets 1001 after drain.timeout, at a frame boundary, mid-stream', async () => {
    const streamer = await startStreamingBackend();
    const other = await startEchoServer({ name: 'other' });
    const file = path.join(tempDir(), 'routes.yaml');
    const spec = (endpoint: { port: number }) => ({ match: { path: '/s' }, drain: { timeout: '300ms' }, backend: { endpoints: [ep(endpoint)] } });
    writeRoutes(file, [{ name: 's', spec: spec(streamer) }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      const results = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const ws = new WebSocket(`${gw.url}/s`);
          let received = 0;
          let corrupt = '';
          ws.on('message', (data: Buffer, isBinary: boolean) => {
            const m = expectedMessage(received);
            const ok = m.binary
              ? isBinary && data.length === m.length && data[0] === m.byte && data[data.length - 1] === m.byte
              : !isBinary && data.toString() === m.text;
            if (!ok && !corrupt) corrupt = `message ${received} differs`;
            received++;
          });
          await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
          return { ws, closedP: closed(ws), count: () => received, corrupt: () => corrupt };
        }),
      );
      // Let each connection get well into the stream, then take its endpoint away.
      await Promise.all(results.map((r) => new Promise<void>((resolve) => {
        const check = () => (r.count() >= 5 ? resolve() : setTimeout(check, 10));
        check();
      })));
      await reload(gw, file, [{ name: 's', spec: spec(other) }]);
      for (const r of results) {
        const { code, reason } = await r.closedP;
        assert.equal(code, 1001, `close code (reason "${reason}")`);
        assert.equal(reason, 'endpoint draining');
        assert.equal(r.corrupt(), '');
        assert.ok(r.count() >= 5);
      }
      // New connections go to the endpoint now in the table.
      const c = await connect(`${gw.url}/s`);
      assert.equal(c.hello.backend, 'other');
      await c.close();
      assert.match(await metrics(gw), /wsgate_lifecycle_closes_total\{namespace="default",route="s",reason="drain"\} 4/);
      assert.match(await metrics(gw), /wsgate_closes_total\{namespace="default",route="s",code="1001"\} 4/);
    } finally {
      await gw.stop();
      await Promise.all([streamer.close(), other.close()]);
    }
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM: readyz fails, no new connections, open ones get 1001 one after another over the grace, exit 0', async () => {
    const echo = await startEchoServer({ name: 'e' });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [{ name: 'r', spec: { match: { path: '/r' }, backend: { endpoints: [ep(echo)] } } }]);
    // 4 connections over 3 s: one close every 750 ms.
    // One data plane: the test reads the spread its single shutdown log line announces.
    const gw = await startWsgate(['standalone', '--config', file, '--shutdown-grace', '3000', '--workers', '1']);
    try {
      const clients: OpenClient[] = [];
      for (let i = 0; i < 4; i++) clients.push(await connect(`${gw.url}/r`));
      const order: number[] = [];
      // When each client is told to go, how many of the others are still open.
      const openAtClose: number[] = [];
      const closes = clients.map((c, i) =>
        closed(c.ws).then((result) => {
          order.push(i);
          openAtClose.push(clients.filter((o) => o !== c && o.ws.readyState === WebSocket.OPEN).length);
          return result;
        }),
      );
      const exit = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
      gw.child.kill('SIGTERM');
      const spread = JSON.parse(await gw.waitForLog(/\{[^\n]*spread over the grace[^\n]*\}/)) as { connections: number; closesPerSecond: number };
      assert.deepEqual({ connections: spread.connections, closesPerSecond: spread.closesPerSecond }, { connections: 4, closesPerSecond: 1.3 });
      assert.equal((await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`)).status, 503);
      await assert.rejects(connect(`${gw.url}/r`), /ECONNREFUSED/);
      // The newest connection is closed last: still open during the grace.
      assert.equal(await clients[3]!.echo('during grace'), 'during grace');
      for (const c of closes) assert.deepEqual(await c, { code: 1001, reason: 'proxy shutting down' });
      // Oldest first, and never all at once: others were still open when the first one went.
      assert.deepEqual(order, [0, 1, 2, 3]);
      assert.ok(openAtClose[0]! >= 1, `others open at the first close: ${openAtClose.join(',')}`);
      assert.equal(await exit, 0);
    } finally {
      await gw.stop();
      await echo.close();
    }
  });
});

describe('timeouts', () => {
  test('idle closes with 1001 only when no bytes move; maxLifetime closes with 1012', async () => {
    const echo = await startEchoServer({ name: 'e' });
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      { name: 'idle', spec: { match: { path: '/idle' }, timeouts: { idle: '1s' }, backend: { endpoints: [ep(echo)] } } },
      { name: 'life', spec: { match: { path: '/life' }, timeouts: { maxLifetime: '400ms' }, backend: { endpoints: [ep(echo)] } } },
    ]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      const quiet = await connect(`${gw.url}/idle`);
      const chatty = await connect(`${gw.url}/idle`);
      const quietClosed = closed(quiet.ws);
      // The chatty one sends every 100 ms for 1.5 s: it outlives the quiet one.
      const started = Date.now();
      let chattyClosedEarly = false;
      chatty.ws.once('close', () => (chattyClosedEarly = Date.now() - started < 1500));
      while (Date.now() - started < 1500) {
        assert.equal(await chatty.echo('ping'), 'ping');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(await quietClosed, { code: 1001, reason: 'idle timeout' });
      assert.equal(chattyClosedEarly, false);
      await chatty.close();

      const life = await connect(`${gw.url}/life`);
      assert.deepEqual(await closed(life.ws), { code: 1012, reason: 'maximum lifetime reached' });
      const text = await metrics(gw);
      assert.match(text, /wsgate_lifecycle_closes_total\{namespace="default",route="idle",reason="idle_timeout"\} 1/);
      assert.match(text, /wsgate_lifecycle_closes_total\{namespace="default",route="life",reason="max_lifetime"\} 1/);
    } finally {
      await gw.stop();
      await echo.close();
    }
  });
});

describe('rebalancing', () => {
  test('300 connections on 2 endpoints, a third added: spread within tolerance, only the needed closes', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map((name) => startEchoServer({ name })));
    const file = path.join(tempDir(), 'routes.yaml');
    const spec = (n: number) => ({
      match: { path: '/rb' },
      rebalance: { tolerance: 0.2, maxClosesPerSecond: 200 },
      backend: { endpoints: backends.slice(0, n).map(ep) },
    });
    writeRoutes(file, [{ name: 'rb', spec: spec(2) }]);
    const gw = await startWsgate(['standalone', '--config', file]);
    const clients = new Set<OpenClient>();
    let restarts = 0;
    let unexpected = 0;
    let stopping = false;
    const reconnects = new Set<Promise<void>>();
    // A client that reconnects when told to (1012), as WebSocket clients do.
    const keep = async (): Promise<void> => {
      const c = await connect(`${gw.url}/rb`);
      clients.add(c);
      c.ws.once('close', (code) => {
        clients.delete(c);
        if (stopping) return;
        if (code === 1012) {
          restarts++;
          const again = keep();
          reconnects.add(again);
          void again.finally(() => reconnects.delete(again));
        } else if (code !== 1000) unexpected++;
      });
    };
    try {
      for (let i = 0; i < 300; i++) await keep();
      const spread = () => backends.map((b) => b.clients.size);
      assert.deepEqual(spread(), [150, 150, 0]);
      await reload(gw, file, [{ name: 'rb', spec: spec(3) }]);
      for (let i = 0; i < 200 && !(clients.size === 300 && spread().every((n) => n >= 80 && n <= 120)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(spread(), [100, 100, 100]);
      assert.equal(restarts, 100, 'exactly the excess over the fair share is closed');
      // Balanced now: further passes close nothing.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(restarts, 100);
      assert.equal(unexpected, 0);
      assert.match(await metrics(gw), /wsgate_lifecycle_closes_total\{namespace="default",route="rb",reason="rebalance"\} 100/);
    } finally {
      stopping = true;
      await Promise.allSettled([...reconnects]);
      await Promise.all([...clients].map((c) => c.close()));
      await gw.stop();
      await Promise.all(backends.map((b) => b.close()));
    }
  });
});

describe('balancing', () => {
  test('passive health: a refusing endpoint is ejected, visible in /debug/routes and metrics, not retried', async () => {
    const live = await startEchoServer({ name: 'live' });
    const dead = await startEchoServer({ name: 'dead' });
    const deadPort = dead.port;
    await dead.close();
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      {
        name: 'h',
        spec: { match: { path: '/h' }, loadBalancer: { policy: 'RoundRobin' }, backend: { endpoints: [{ host: '127.0.0.1', port: deadPort }, ep(live)] } },
      },
    ]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      for (let i = 0; i < 6; i++) {
        const c = await connect(`${gw.url}/h`);
        assert.equal(c.hello.backend, 'live');
        await c.close();
      }
      const debug = (await (await fetch(`http://127.0.0.1:${gw.adminPort}/debug/routes`)).json()) as {
        routes: Array<{ endpoints: Array<{ id: string; ejected: boolean }> }>;
      };
      const states = Object.fromEntries(debug.routes[0]!.endpoints.map((e) => [e.id, e.ejected]));
      assert.deepEqual(states, { [`127.0.0.1:${deadPort}`]: true, [`127.0.0.1:${live.port}`]: false });
      // One failure, then the ejected endpoint is not tried again while ejected.
      assert.match(await metrics(gw), /wsgate_endpoint_ejections_total\{namespace="default",route="h"\} 1\n/);
      assert.equal(gw.stderr().match(/backend connect failed/g)?.length, 1);
    } finally {
      await gw.stop();
      await live.close();
    }
  });

  test('ConsistentHash on a header: the same key always reaches the same endpoint', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map((name) => startEchoServer({ name })));
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      {
        name: 'ch',
        spec: { match: { path: '/ch' }, loadBalancer: { policy: 'ConsistentHash', hashOn: { header: 'x-user' } }, backend: { endpoints: backends.map(ep) } },
      },
    ]);
    const gw = await startWsgate(['standalone', '--config', file]);
    try {
      const seen = new Map<string, Set<string>>();
      for (let round = 0; round < 3; round++) {
        for (let u = 0; u < 12; u++) {
          const c = await connect(`${gw.url}/ch`, { headers: { 'x-user': `user-${u}` } });
          const set = seen.get(`user-${u}`) ?? new Set();
          set.add(c.hello.backend);
          seen.set(`user-${u}`, set);
          await c.close();
        }
      }
      for (const [user, set] of seen) assert.equal(set.size, 1, `${user} went to ${[...set]}`);
      const used = new Set([...seen.values()].map((s) => [...s][0]));
      assert.ok(used.size >= 2, 'keys spread over more than one endpoint');
    } finally {
      await gw.stop();
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  test('connection counts are shared by routes that reach the same endpoint', async () => {
    const [e1, e2] = await Promise.all([startEchoServer({ name: 'e1' }), startEchoServer({ name: 'e2' })]);
    const file = path.join(tempDir(), 'routes.yaml');
    writeRoutes(file, [
      { name: 'only-e1', spec: { match: { path: '/one' }, backend: { endpoints: [ep(e1)] } } },
      { name: 'both', spec: { match: { path: '/both' }, backend: { endpoints: [ep(e1), ep(e2)] } } },
    ]);
    const gw = await startWsgate(['standalone', '--config', file]);
    const open: OpenClient[] = [];
    try {
      for (let i = 0; i < 3; i++) open.push(await connect(`${gw.url}/one`));
      for (let i = 0; i < 3; i++) {
        const c = await connect(`${gw.url}/both`);
        open.push(c);
        assert.equal(c.hello.backend, 'e2', 'e1 already carries the other route\'s connections');
      }
    } finally {
      await Promise.all(open.map((c) => c.close()));
      await gw.stop();
      await Promise.all([e1.close(), e2.close()]);
    }
  });
});

