// Run inside a network namespace: opens N WebSocket connections to URL and keeps them busy
// (a numbered message every 200 ms each, echoes checked), printing "open N" once all are up
// and "echoes K" every second. It is meant to be cut off (its link taken down, then SIGKILL),
// never to close by itself.
//
//   node dist/e2e/reliability/lib/netns-client.js URL N

import WebSocket from 'ws';

const url = process.argv[2]!;
const n = Number(process.argv[3] ?? 10);
let echoes = 0;
const sockets: WebSocket[] = [];
await Promise.all(
  Array.from({ length: n }, () =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10000 });
      let greeted = false;
      ws.on('message', () => {
        if (!greeted) {
          greeted = true;
          resolve();
          return;
        }
        echoes++;
      });
      ws.on('error', reject);
      sockets.push(ws);
    }),
  ),
);
process.stdout.write(`open ${sockets.length}\n`);
let seq = 0;
setInterval(() => {
  for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(String(seq++));
}, 200);
setInterval(() => process.stdout.write(`echoes ${echoes}\n`), 1000);
