// The bench's bare Node.js relay (the floor wsgate is compared with) must be a working
// WebSocket proxy, or the "what bounds it" ratios compare wsgate with nothing.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';

const RELAY = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bench/node-relay.js');

let echo: WebSocketServer;
let refusing: http.Server;
const relays: ChildProcess[] = [];

async function startRelay(...backendPorts: number[]): Promise<number> {
  const child = spawn(process.execPath, [RELAY, '0', ...backendPorts.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  relays.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return (JSON.parse(line.toString().split('\n')[0]!) as { port: number }).port;
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
  for (const r of relays) {
    if (r.exitCode === null && r.signalCode === null) {
      r.kill('SIGTERM');
      await once(r, 'exit');
    }
  }
  echo.close();
  refusing.close();
});

test('node-relay: upgrades through to the backend and relays frames both ways, text and binary', async () => {
  const port = await startRelay((echo.address() as AddressInfo).port);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/bench?x=1`);
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
  const port = await startRelay((refusing.address() as AddressInfo).port);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/bench`);
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
  assert.equal(res.statusCode, 403);
  res.resume();
  ws.on('error', () => {}); // terminate() before open reports itself as an error
  ws.terminate();
  const plain = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(plain.status, 404);
});
