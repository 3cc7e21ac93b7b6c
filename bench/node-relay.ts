// The benchmark's floor for Node.js: the least a WebSocket reverse proxy on Node's `http` and
// `net` modules can do, with none of wsgate's work. It accepts the upgrade through an
// http.Server (as wsgate does), connects the next backend (round robin), writes the request
// head as one buffer, forwards the backend's answer head byte for byte and then relays both
// ways with one `data` listener per direction and pause/resume for backpressure. No routing
// table, balancer state, frame tracking, limits, headers added, metrics or logs.
// It is measured beside wsgate in the same rounds, so "wsgate vs bare Node" says how much of
// wsgate's cost is its own and how much is Node's per-connection and per-read work.
//
// Usage: node dist/bench/node-relay.js PORT BACKEND_PORT... (listens on 127.0.0.1:PORT; 0 = any)
//   -> prints {"port":N} once listening.

import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

const port = Number(process.argv[2]);
const backends = process.argv.slice(3).map(Number);
if (!Number.isInteger(port) || backends.length === 0 || backends.some((p) => !Number.isInteger(p))) {
  process.stderr.write('usage: node-relay PORT BACKEND_PORT...\n');
  process.exit(2);
}
let next = 0;

const kPeer = Symbol('peer');
type Linked = Duplex & { [kPeer]?: Duplex };

function forward(this: Linked, chunk: Buffer): void {
  if (!this[kPeer]!.write(chunk)) this.pause();
}
function resumePeer(this: Linked): void {
  this[kPeer]!.resume();
}
function endPeer(this: Linked): void {
  this[kPeer]!.end();
}
function destroyPeer(this: Linked): void {
  this[kPeer]!.destroy();
}

function link(a: Linked, b: Linked): void {
  a[kPeer] = b;
  b[kPeer] = a;
  for (const s of [a, b]) {
    s.on('data', forward);
    s.on('drain', resumePeer);
    s.on('end', endPeer);
    s.on('close', destroyPeer);
    s.on('error', () => {});
  }
}

const server = http.createServer((_req, res) => {
  res.writeHead(404).end();
});
server.on('upgrade', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
  const backend = net.connect({ host: '127.0.0.1', port: backends[next++ % backends.length]!, noDelay: true });
  client.on('error', () => backend.destroy());
  backend.once('error', () => client.destroy());
  backend.once('connect', () => {
    let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) lines += `${raw[i]}: ${raw[i + 1]}\r\n`;
    backend.write(`${lines}\r\n`);
    if (head.length) backend.write(head);
    // The answer head is forwarded as it comes; once it is complete, bytes flow both ways.
    let seen: Buffer = Buffer.alloc(0);
    const onHead = (chunk: Buffer) => {
      seen = seen.length ? Buffer.concat([seen, chunk]) : chunk;
      const end = seen.indexOf('\r\n\r\n');
      if (end === -1) return;
      backend.removeListener('data', onHead);
      backend.pause();
      client.write(seen);
      link(client as Linked, backend as Linked);
      client.resume();
      backend.resume();
    };
    backend.on('data', onHead);
  });
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
