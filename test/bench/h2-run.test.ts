// The HTTP/2 scenarios' clients against a real `wsgate standalone` on a TLS listener, started as
// the bench starts its `wsgate-tls` target (bench/targets.ts) in front of the bench's echo
// backends: a bounded h2load run (300 requests) gets h2 and 2xx answers, the same over
// HTTP/1.1 (`--h1`), and the load generator's RFC 8441 client (bench/lib/h2-websocket.ts) echoes
// over several WebSockets on one h2 connection. Without h2load the h2load tests skip on a dev
// machine (`bash bench/setup.sh` installs it) and fail under CI.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import type http2 from 'node:http2';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type WebSocket from 'ws';
import { runH2load } from '../../bench/h2.js';
import { h2loadArgs, parseH2load, type RequestProtocol } from '../../bench/lib/h2load.js';
import { connectH2, openWebSocketOverH2 } from '../../bench/lib/h2-websocket.js';
import { startBackends, startTarget, type Backends, type Target } from '../../bench/targets.js';

const run = promisify(execFile);
const h2loadMissing = spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status !== 0;
const skip = h2loadMissing && process.env.CI !== 'true' ? 'h2load is not installed (bash bench/setup.sh)' : false;

let backends: Backends | undefined;
let wsgate: Target | undefined;

before(async () => {
  backends = await startBackends(2);
  wsgate = await startTarget('wsgate-tls', backends);
});

after(async () => {
  await wsgate?.stop();
  await backends?.stop();
});

async function h2loadRun(protocol: RequestProtocol) {
  assert.ok(!h2loadMissing, 'CI=true and h2load is missing: run bash bench/setup.sh');
  const args = h2loadArgs({
    url: wsgate!.h2!.requestUrl,
    protocol,
    connections: 4,
    streamsPerConnection: protocol === 'h2' ? 8 : 1,
    length: { requests: 300 },
  });
  const { stdout } = await run('h2load', args, { timeout: 60_000 });
  return parseH2load(stdout);
}

test('h2load against wsgate\'s TLS listener over h2: all 300 requests answered 2xx, ALPN h2', { skip }, async () => {
  const s = await h2loadRun('h2');
  assert.equal(s.applicationProtocol, 'h2');
  assert.equal(s.status2xx, 300);
  assert.deepEqual([s.failed, s.errored, s.timeout], [0, 0, 0]);
  assert.ok(s.requestsPerSecond > 0);
});

test('h2load --h1 against the same listener: all 300 requests answered 2xx over http/1.1', { skip }, async () => {
  const s = await h2loadRun('h1');
  assert.equal(s.applicationProtocol, 'http/1.1');
  assert.equal(s.status2xx, 300);
  assert.ok(s.requestsPerSecond > 0);
});

test('runH2load: a timed h2load whose clients never get through is killed at its limit, with no summary instead of a hang', { skip }, async () => {
  assert.ok(!h2loadMissing, 'CI=true and h2load is missing: run bash bench/setup.sh');
  // Accepts and never answers the TLS handshake: h2load's clock never starts.
  const held = new Set<net.Socket>();
  const silent = net.createServer((s) => held.add(s.on('error', () => {})));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const url = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}/`;
    const started = Date.now();
    const out = await runH2load(h2loadArgs({ url, protocol: 'h1', connections: 2, streamsPerConnection: 1, length: { warmupMs: 100, durationMs: 300 } }), 1500).done;
    assert.equal(out, undefined);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('the generator\'s RFC 8441 client: three WebSockets on one h2 connection through wsgate, each echoed by the backend', async () => {
  assert.equal(wsgate!.h2!.webSocketsOverH2, true);
  let session: http2.ClientHttp2Session | undefined;
  const sockets: WebSocket[] = [];
  try {
    session = await connectH2(new URL(wsgate!.h2!.requestUrl).origin, wsgate!.ca);
    for (let i = 0; i < 3; i++) sockets.push(await openWebSocketOverH2(session, wsgate!.urls[0]!, 1 << 20));
    const echoes = await Promise.all(
      sockets.map(
        (ws, i) =>
          new Promise<string>((resolve, reject) => {
            ws.once('message', (data: Buffer) => resolve(data.toString()));
            ws.once('error', reject);
            ws.send(`hello ${i}`);
          }),
      ),
    );
    assert.deepEqual(echoes, ['hello 0', 'hello 1', 'hello 2']);
  } finally {
    for (const ws of sockets) ws.terminate();
    session?.destroy();
  }
});

test('wsgate-alt-tls without WSGATE_ALT_CLI is refused with the variable named, not started as this build', async () => {
  const saved = process.env.WSGATE_ALT_CLI;
  delete process.env.WSGATE_ALT_CLI;
  try {
    await assert.rejects(startTarget('wsgate-alt-tls', backends!), /WSGATE_ALT_CLI/);
  } finally {
    if (saved !== undefined) process.env.WSGATE_ALT_CLI = saved;
  }
});
