// One backend process-worth of real framework servers on one http.Server: Socket.IO at
// /socket.io/, the SignalR hub at /hub and graphql-ws at /graphql. It records every request
// (plain and upgrade) so tests can check which backend each client's requests reached.

import http from 'node:http';
import type net from 'node:net';
import { buildSchema } from 'graphql';
import { handleProtocols } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { Server as SocketIoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import { attachSignalRHub } from './signalr-hub.js';

export interface FrameworkBackend {
  readonly name: string;
  readonly port: number;
  readonly server: http.Server;
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

const HUB_PATH = '/hub';
const GRAPHQL_PATH = '/graphql';

const schema = buildSchema(`
  type Query { whoami: String }
  type Subscription { count(to: Int!): Int }
`);

export async function startFrameworkBackend(opts: {
  name: string;
  /** Consulted first for plain requests (not the hub's): returns true when it answered. */
  staticFiles?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** Where to listen: 127.0.0.1 on a free port unless given (a pod listens on all addresses). */
  listen?: { host: string; port: number };
}): Promise<FrameworkBackend> {
  const { name } = opts;
  const requests: FrameworkBackend['requests'] = [];
  const server = http.createServer();

  // Socket.IO attaches to a server with no listeners yet; its request/upgrade listeners are
  // then taken off and called from the dispatchers below, so recording and staticFiles come
  // first and upgrades for other paths are not touched by engine.io.
  const io = new SocketIoServer(server, { destroyUpgrade: false });
  const sioRequest = server.listeners('request') as Array<(req: http.IncomingMessage, res: http.ServerResponse) => void>;
  const sioUpgrade = server.listeners('upgrade') as Array<(req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void>;
  server.removeAllListeners('request');
  server.removeAllListeners('upgrade');
  io.on('connection', (socket) => {
    socket.on('whoami', (ack: (v: string) => void) => ack(name));
    socket.on('echo', (msg: string, ack: (v: string) => void) => ack(`${name}:${msg}`));
  });

  const gqlWss = new WebSocketServer({ noServer: true, handleProtocols });
  // Schema resolvers as roots: the subscription is an async generator, the query a value.
  const roots = {
    query: { whoami: () => name },
    subscription: {
      count: async function* ({ to }: { to: number }) {
        for (let i = 1; i <= to; i++) yield { count: i };
      },
    },
  };
  const gqlServer = useServer({ schema, roots }, gqlWss);

  const pathOf = (url: string | undefined) => new URL(url ?? '/', 'http://x').pathname;
  const isHub = (p: string) => p === HUB_PATH || p.startsWith(`${HUB_PATH}/`);
  const isSocketIo = (url: string | undefined) => (url ?? '').startsWith('/socket.io/');
  const record = (req: http.IncomingMessage) => requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });

  server.on('request', (req, res) => {
    record(req);
    if (isHub(pathOf(req.url))) return; // the hub's own listener (attached below) answers it
    if (opts.staticFiles?.(req, res)) return;
    if (isSocketIo(req.url)) {
      for (const l of sioRequest) l.call(server, req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    record(req);
    const p = pathOf(req.url);
    if (isHub(p)) return; // the hub's own listener
    if (isSocketIo(req.url)) {
      for (const l of sioUpgrade) l.call(server, req, socket, head);
      return;
    }
    if (p === GRAPHQL_PATH) {
      gqlWss.handleUpgrade(req, socket, head, (ws) => gqlWss.emit('connection', ws, req));
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  const hub = attachSignalRHub(server, { path: HUB_PATH, backend: name });

  const listen = opts.listen ?? { host: '127.0.0.1', port: 0 };
  await new Promise<void>((resolve) => server.listen(listen.port, listen.host, () => resolve()));
  const port = (server.address() as net.AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    name,
    port,
    server,
    requests,
    close: () =>
      (closing ??= (async () => {
        // Stop accepting first, so nothing new arrives while the rest is torn down.
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        hub.close();
        for (const ws of gqlWss.clients) ws.terminate();
        await gqlServer.dispose();
        await io.close(); // disconnects the Socket.IO clients (its own server.close is a no-op now)
        server.closeAllConnections();
        await serverClosed;
      })()),
  };
}
