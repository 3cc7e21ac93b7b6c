// The bench's bare Node.js relay (the floor wsgate is compared with) must be a working
// WebSocket proxy, or the "what bounds it" ratios compare wsgate with nothing.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { startNodeRelay, type Target } from '../../bench/targets.js';

let echo: WebSocketServer;
let refusing: http.Server;
const relays: Target[] = [];

/** The relay as `make bench` starts it, in front of one backend port; its URL. */
async function startRelay(backendPort: number): Promise<string> {
  const relay = await startNodeRelay({ ports: [backendPort], pid: 0, stop: async () => {} });
  relays.push(relay);
  return relay.urls[0]!;
}

before(async () => {
  echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  echo.on('connection', (ws, req) => {
    ws.send(`path ${req.url}`);
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  await once(echo, 'listening');
  // A backend that refuses every upgrade with 403 and a body.
  refusing = http.createServer();
  refusing.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno'));
  refusing.listen(0, '127.0.0.1');
  await once(refusing, 'listening');
});

after(async () => {
  for (const r of relays) await r.stop();
  echo.close();
  refusing.close();
});

test('node-relay: upgrades through to the backend and relays frames both ways, text and binary', async () => {
  const url = await startRelay((echo.address() as AddressInfo).port);
  const ws = new WebSocket(`${url}?x=1`);
  const got: Array<{ data: string; binary: boolean }> = [];
  const want = 4;
  const done = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer, binary) => {
      got.push({ data: data.toString(), binary });
      if (got.length === want) resolve();
    });
    ws.once('error', reject);
  });
  await once(ws, 'open');
  ws.send('hello');
  ws.send(Buffer.alloc(70_000, 'b'));
  ws.send(Buffer.from('bin'), { binary: true });
  await done;
  assert.deepEqual(got[0], { data: 'path /ws/bench?x=1', binary: false });
  assert.deepEqual(got[1], { data: 'hello', binary: false });
  assert.equal(got[2]!.data, 'b'.repeat(70_000));
  assert.deepEqual(got[3], { data: 'bin', binary: true });
  ws.close(1000);
  const [code] = (await once(ws, 'close')) as [number];
  assert.equal(code, 1000);
});

test('node-relay: a backend that refuses the upgrade is relayed as it answered; plain requests get 404', async () => {
  const url = await startRelay((refusing.address() as AddressInfo).port);
  const ws = new WebSocket(url);
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
  assert.equal(res.statusCode, 403);
  res.resume();
  ws.on('error', () => {}); // terminate() before open reports itself as an error
  ws.terminate();
  const plain = await fetch(url.replace('ws:', 'http:'));
  assert.equal(plain.status, 404);
});
