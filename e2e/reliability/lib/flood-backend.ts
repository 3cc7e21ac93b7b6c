// A backend that pushes as much as it may: every connection gets 64 KiB binary messages until
// its share of QUOTA bytes is out, keeping a few sends in flight and sending the next one only
// when the previous is flushed to its socket (so its own memory stays small, and the bytes it
// manages to push show how much the path towards the client accepted). GET /stats answers
// {"pushed": bytes, "connections": n}.
//
//   node dist/e2e/reliability/lib/flood-backend.js QUOTA_BYTES CONNECTIONS_SHARING_IT
// prints "flood backend on HOST:PORT".

import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const quota = Number(process.argv[2] ?? 1024 ** 3);
const shares = Number(process.argv[3] ?? 8);
const perConnection = Math.floor(quota / shares);
const chunk = Buffer.alloc(64 * 1024, 0x5a);
let pushed = 0;
let connections = 0;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ pushed, connections }));
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws: WebSocket) => {
  connections++;
  let queued = 0;
  let sent = 0;
  let open = true;
  ws.on('close', () => {
    open = false;
    connections--;
  });
  ws.on('error', () => (open = false));
  const pump = () => {
    while (open && queued < 4 && sent < perConnection) {
      queued++;
      sent += chunk.length;
      ws.send(chunk, { binary: true }, (err) => {
        queued--;
        if (err) return;
        pushed += chunk.length;
        pump();
      });
    }
  };
  pump();
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as net.AddressInfo;
  process.stdout.write(`flood backend on ${a.address}:${a.port}\n`);
});
