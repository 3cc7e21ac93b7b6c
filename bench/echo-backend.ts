// The benchmark's WebSocket echo backends: one child process running `count` ws servers on
// loopback, each echoing every message as it came (binary stays binary). Pure echo, no
// greeting, no per-connection bookkeeping (examples/echo-server.ts keeps every upgrade's
// headers, which would grow without bound under the upgrade-rate scenario).
//
// Usage: node dist/bench/echo-backend.js COUNT  -> prints {"ports":[...]} once listening.

import type net from 'node:net';
import { WebSocketServer } from 'ws';

const count = Math.max(1, Number(process.argv[2] ?? '1'));
const servers: WebSocketServer[] = [];

function start(): Promise<number> {
  return new Promise((resolve, reject) => {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      backlog: 4096,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: 1 << 20,
    });
    wss.once('error', reject);
    wss.once('listening', () => resolve((wss.address() as net.AddressInfo).port));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary, compress: false }));
      ws.on('error', () => ws.terminate());
    });
    servers.push(wss);
  });
}

const ports: number[] = [];
for (let i = 0; i < count; i++) ports.push(await start());
process.stdout.write(`${JSON.stringify({ ports })}\n`);

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The runner holds our stdin: when it goes away, so do we.
process.stdin.on('end', stop).resume();
