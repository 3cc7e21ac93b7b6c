// The benchmark's WebSocket echo backends: one child process running `count` ws servers on
// loopback, each echoing every message as it came (binary stays binary). Pure echo, no
// greeting, no per-connection bookkeeping (examples/echo-server.ts keeps every upgrade's
// headers, which would grow without bound under the upgrade-rate scenario). A plain request
// (the h2/HTTP/1.1 request scenario, bench/h2.ts) gets a fixed 200 with a short body and
// keep-alive: the same small answer through every proxy.
//
// Usage: node dist/bench/echo-backend.js COUNT  -> prints {"ports":[...]} once listening.

import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer } from 'ws';

const count = Math.max(1, Number(process.argv[2] ?? '1'));
const servers: WebSocketServer[] = [];

const PLAIN_BODY = Buffer.from('wsgate bench backend: ok\n');

function answerPlain(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': PLAIN_BODY.length });
  res.end(PLAIN_BODY);
}

function start(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = http.createServer({ keepAliveTimeout: 60_000 }, answerPlain);
    const wss = new WebSocketServer({
      server,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: 1 << 20,
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', 4096, () => resolve((server.address() as net.AddressInfo).port));
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
