// The bench's Caddy peer (bench/lib/caddy.ts, startCaddy in bench/targets.ts): the generated
// Caddyfile says what the README promises (least_conn over every endpoint, an access log, no
// admin port, TLS when asked), and a real Caddy started from it relays WebSockets with
// X-Forwarded-For, spread over both endpoints. Without Caddy the relay test skips on a dev
// machine (`bash bench/setup.sh` installs it) and fails under CI.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { caddyEnvironment, caddyfile } from '../../bench/lib/caddy.js';
import { caddyBinary, startCaddy, type Target } from '../../bench/targets.js';

test('caddyfile: reverse_proxy with least_conn over every endpoint, a JSON access log, no admin API', () => {
  const text = caddyfile({ port: 8081, backendPorts: [9001, 9002], accessLog: '/tmp/x/access.log' });
  assert.match(text, /^http:\/\/127\.0\.0\.1:8081 \{$/m);
  assert.match(text, /^\s+reverse_proxy 127\.0\.0\.1:9001 127\.0\.0\.1:9002 \{$/m);
  assert.match(text, /^\s+lb_policy least_conn$/m);
  assert.match(text, /^\s+output file \/tmp\/x\/access\.log$/m);
  assert.match(text, /^\s+admin off$/m);
  assert.match(text, /^\s+auto_https off$/m);
  assert.doesNotMatch(text, /^\s+tls /m);
  assert.doesNotMatch(text, /^\s+trusted_proxies/m, 'a client must not be able to extend X-Forwarded-For');
});

test('caddyfile: with a certificate the site is https with that certificate; no endpoints is an error', () => {
  const text = caddyfile({ port: 8443, backendPorts: [9001], accessLog: '/a.log', tls: { cert: '/c/tls.crt', key: '/c/tls.key' } });
  assert.match(text, /^https:\/\/127\.0\.0\.1:8443 \{$/m);
  assert.match(text, /^\s+tls \/c\/tls\.crt \/c\/tls\.key$/m);
  assert.throws(() => caddyfile({ port: 1, backendPorts: [], accessLog: '/a.log' }), /no backend ports/);
});

test('caddyEnvironment: GOMAXPROCS is the event-loop count; HOME and XDG dirs are private', () => {
  const env = caddyEnvironment({ PATH: '/bin', HOME: '/root' }, '/tmp/caddy-1', 2);
  assert.deepEqual(env, { PATH: '/bin', HOME: '/tmp/caddy-1', XDG_CONFIG_HOME: '/tmp/caddy-1', XDG_DATA_HOME: '/tmp/caddy-1', GOMAXPROCS: '2' });
  assert.throws(() => caddyEnvironment({}, '/tmp/c', 0), /positive integer/);
  assert.throws(() => caddyEnvironment({}, '/tmp/c', 1.5), /positive integer/);
});

const skip = !caddyBinary() && process.env.CI !== 'true' ? 'caddy is not installed (bash bench/setup.sh)' : false;

const backends: WebSocketServer[] = [];
let caddy: Target | undefined;

before(async () => {
  for (let i = 0; i < 2; i++) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (ws, req: IncomingMessage) => {
      ws.send(`backend ${i} xff ${String(req.headers['x-forwarded-for'])}`);
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    });
    await once(wss, 'listening');
    backends.push(wss);
  }
});

after(async () => {
  await caddy?.stop();
  for (const b of backends) b.close();
});

test('startCaddy: a real Caddy relays WebSockets, sets X-Forwarded-For, spreads held connections', { skip }, async () => {
  const ports = backends.map((b) => (b.address() as AddressInfo).port);
  caddy = await startCaddy({ ports, pid: 0, stop: async () => {} });
  assert.match(caddy.label, /^Caddy \d+\.\d+\.\d+, GOMAXPROCS=1$/);
  assert.equal(caddy.pids().length, 1);
  const clients: WebSocket[] = [];
  const greetings: string[] = [];
  try {
    // Held one after the other: least_conn sends the second to the endpoint the first is not on.
    for (let i = 0; i < 2; i++) {
      const ws = new WebSocket(caddy.urls[0]!, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      clients.push(ws);
      const [greeting] = (await once(ws, 'message')) as [Buffer];
      greetings.push(greeting.toString());
    }
    assert.deepEqual(greetings.map((g) => g.split(' xff ')[1]), ['127.0.0.1', '127.0.0.1'], 'the client address replaces a sent X-Forwarded-For');
    assert.deepEqual(greetings.map((g) => g.split(' xff ')[0]).sort(), ['backend 0', 'backend 1']);
    clients[0]!.send('ping');
    const [echo] = (await once(clients[0]!, 'message')) as [Buffer];
    assert.equal(echo.toString(), 'ping');
  } finally {
    for (const ws of clients) ws.terminate();
  }
});
