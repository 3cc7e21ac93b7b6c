// The e2e backend that runs as real pods (image wsgate-e2e-backend:dev, built by
// e2e/node/image.sh): a `ws` echo server that greets each connection with its pod's name (the
// greeting of examples/echo-server.ts, which e2e/reliability/lib/seq-client.ts reads), echoes
// every message, and checks that the numbered messages (`<seq>|<padding>`) of one connection
// arrive in order. GET /stats reports connections and sequence errors.
//
// SIGTERM (pod deletion): /readyz turns 503, the listener stops, and every connection is closed
// with 1001 after what it has sent was echoed, i.e. at a frame boundary; then the process exits.
import http from 'node:http';
import os from 'node:os';
import { WebSocketServer, type WebSocket } from 'ws';

const name = process.env.POD_NAME || os.hostname();
const port = Number(process.env.PORT || 8080);
let draining = false;
let connections = 0;
let total = 0;
let seqErrors = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/readyz' || req.url === '/healthz') {
    const ok = req.url === '/healthz' || !draining;
    res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'draining\n');
    return;
  }
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ backend: name, connections, total, seqErrors, draining }) + '\n');
    return;
  }
  res.writeHead(426).end('websocket only\n');
});
const wss = new WebSocketServer({ server, maxPayload: 1024 * 1024 });
wss.on('connection', (ws: WebSocket, req) => {
  connections++;
  total++;
  let expected = -1;
  ws.send(JSON.stringify({ backend: name, path: req.url ?? '', protocol: ws.protocol, headers: req.headers }));
  ws.on('message', (data, isBinary) => {
    const text = data.toString();
    const bar = text.indexOf('|');
    const seq = Number(bar === -1 ? NaN : text.slice(0, bar));
    if (Number.isInteger(seq)) {
      // The first message of a connection may be any number (a client resending after a reconnect).
      if (expected !== -1 && seq !== expected) seqErrors++;
      expected = seq + 1;
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('close', () => connections--);
  ws.on('error', () => ws.terminate());
});
server.listen(port, '0.0.0.0', () => console.log(`backend ${name} listening on :${port}`));

function drain(signal: string): void {
  if (draining) return;
  draining = true;
  console.log(`backend ${name}: ${signal}, closing ${wss.clients.size} connections with 1001`);
  server.close();
  for (const ws of wss.clients) ws.close(1001, 'going away');
  const done = () => process.exit(0);
  const timer = setTimeout(done, 5000);
  timer.unref();
  const check = setInterval(() => {
    if (wss.clients.size === 0) {
      clearInterval(check);
      done();
    }
  }, 50);
}
process.on('SIGTERM', () => drain('SIGTERM'));
process.on('SIGINT', () => drain('SIGINT'));
