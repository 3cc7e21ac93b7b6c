// A demo and test backend: greets each connection with what it received (so routing, rewrite
// and header rules can be checked from the client side), then echoes every message.

import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Hello {
  backend: string;
  path: string;
  protocol: string;
  headers: http.IncomingHttpHeaders;
}

export interface EchoServer {
  readonly name: string;
  readonly port: number;
  readonly host: string;
  /** Connections currently open on this backend. */
  readonly clients: Set<WebSocket>;
  /** Every upgrade seen, in order. */
  readonly upgrades: Hello[];
  close(): Promise<void>;
}

export interface EchoOptions {
  name: string;
  host?: string;
  port?: number;
  /** Skip the greeting: pure echo, for load tests. */
  silent?: boolean;
}

/** Ends every client connection, then the server; resolves once the port is released. */
export function closeWebSocketServer(wss: WebSocketServer, server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startEchoServer(opts: EchoOptions): Promise<EchoServer> {
  const server = http.createServer((_req, res) => res.writeHead(426).end('websocket only\n'));
  const wss = new WebSocketServer({
    server,
    maxPayload: 16 * 1024 * 1024,
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });
  const upgrades: Hello[] = [];
  wss.on('connection', (ws, req) => {
    const hello: Hello = { backend: opts.name, path: req.url ?? '', protocol: ws.protocol, headers: req.headers };
    upgrades.push(hello);
    if (!opts.silent) ws.send(JSON.stringify(hello));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    name: opts.name,
    port: addr.port,
    host: addr.address,
    clients: wss.clients,
    upgrades,
    close: () => closeWebSocketServer(wss, server),
  };
}

// Run directly: `node dist/examples/echo-server.js NAME PORT [HOST]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [name = 'echo', port = '0', host = '127.0.0.1'] = process.argv.slice(2);
  const s = await startEchoServer({ name, port: Number(port), host });
  process.stdout.write(`echo backend ${s.name} on ${s.host}:${s.port}\n`);
}
