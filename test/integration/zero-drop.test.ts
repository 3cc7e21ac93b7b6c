// Zero-drop reconfiguration: 1,000 open connections while 200 route and endpoint changes are
// swapped in. Only connections whose endpoint was taken away (and drained) may close.
// wsgate (WsgateProcess) runs in this process (the same object the CLI wires) so the 200 swaps are fast;
// clients and backends are real sockets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startEchoServer } from '../../examples/echo-server.js';
import type { WebSocketRoute } from '../../src/api/types.js';
import { WsgateProcess } from '../../src/process.js';
import { route } from '../fixtures.js';
import { connect, type OpenClient } from '../helpers/ws-client.js';

test('1,000 connections survive 200 route and endpoint changes; only drained ones close', async () => {
  const backends = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((name) => startEchoServer({ name })));
  const [a, b, c, d, e] = backends as [typeof backends[0], typeof backends[0], typeof backends[0], typeof backends[0], typeof backends[0]];
  const ep = (s: { port: number }) => ({ host: '127.0.0.1', port: s.port });
  const wsgate = new WsgateProcess({ logger: pino({ level: 'silent' }) });
  const base = (extra: WebSocketRoute[], mainEndpoints: Array<{ host: string; port: number }>): WebSocketRoute[] => [
    route('main', { match: { path: '/main/{rest}' }, drain: { timeout: '0s' }, backend: { endpoints: mainEndpoints } }),
    route('side', { match: { path: '/side' }, backend: { endpoints: [ep(c)] } }),
    ...extra,
  ];
  wsgate.applyRoutes(base([], [ep(a), ep(b), ep(d)]));
  const { proxy } = await wsgate.start({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
  const url = `ws://127.0.0.1:${proxy.port}`;
  const clients: Array<{ c: OpenClient; code?: number }> = [];
  try {
    for (let i = 0; i < 1000; i++) {
      const client = await connect(`${url}/${i % 4 === 0 ? 'side' : `main/${i}`}`);
      const entry: { c: OpenClient; code?: number } = { c: client };
      client.ws.once('close', (code) => (entry.code = code));
      clients.push(entry);
    }
    const onD = clients.filter((x) => x.c.hello.backend === 'd').length;
    assert.ok(onD > 100, `least connections put ${onD} connections on d`);

    // 200 changes: extra routes come and go, endpoints are added to and removed from routes;
    // a, b and c stay; d is removed once for good at change 100 (its connections drain, 0s).
    for (let n = 0; n < 200; n++) {
      const extra = Array.from({ length: n % 7 }, (_, k) =>
        route(`extra-${k}`, { match: { path: `/extra/${k}/{x}` }, backend: { endpoints: [ep(backends[k % 5]!)] } }),
      );
      const main = n < 100 ? [ep(a), ep(b), ep(d), ...(n % 2 ? [ep(e)] : [])] : [ep(a), ep(b), ...(n % 2 ? [ep(e)] : [])];
      wsgate.applyRoutes(base(extra, main));
      if (n % 20 === 0) await new Promise((r) => setImmediate(r));
    }

    // Wait for d's connections to finish closing (bounded).
    for (let i = 0; i < 200 && clients.some((x) => x.c.hello.backend === 'd' && x.code === undefined); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const closedOnD = clients.filter((x) => x.c.hello.backend === 'd');
    const others = clients.filter((x) => x.c.hello.backend !== 'd');
    assert.ok(closedOnD.every((x) => x.code === 1001), 'drained connections got 1001');
    assert.equal(others.filter((x) => x.code !== undefined).length, 0, 'no other connection closed');
    const echoes = await Promise.all(others.map((x, i) => x.c.echo(`after-${i}`)));
    echoes.forEach((m, i) => assert.equal(m, `after-${i}`));
    console.log(`# held ${clients.length} connections through 200 swaps; ${closedOnD.length} drained from the removed endpoint, ${others.length} untouched`);
  } finally {
    await Promise.all(clients.filter((x) => x.code === undefined).map((x) => x.c.close()));
    await wsgate.stop();
    await Promise.all(backends.map((s) => s.close()));
  }
});
