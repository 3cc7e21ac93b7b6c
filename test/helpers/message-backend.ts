// A WebSocket backend that records what reaches it, for message-limit and keepalive tests:
// every message (echoed back), every ping and pong, and how each connection was closed.
// "send:N" makes it send an N-byte binary message.

import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeWebSocketServer } from '../../examples/echo-server.js';

export interface BackendConnection {
  ws: WebSocket;
  path: string;
  messages: Buffer[];
  pings: number;
  pongs: number;
  closed: Promise<{ code: number; reason: string }>;
}

export interface MessageBackend {
  port: number;
  connections: BackendConnection[];
  /** Resolves with the next connection to arrive (or one that arrived and was not taken yet). */
  next(): Promise<BackendConnection>;
  close(): Promise<void>;
}

export async function startMessageBackend(opts: { perMessageDeflate?: boolean } = {}): Promise<MessageBackend> {
  const server = http.createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 * 1024, perMessageDeflate: opts.perMessageDeflate ?? false });
  const connections: BackendConnection[] = [];
  const untaken: BackendConnection[] = [];
  const waiting: Array<(c: BackendConnection) => void> = [];
  wss.on('connection', (ws, req) => {
    const conn: BackendConnection = {
      ws,
      path: req.url ?? '',
      messages: [],
      pings: 0,
      pongs: 0,
      closed: new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    };
    connections.push(conn);
    ws.on('ping', () => conn.pings++);
    ws.on('pong', () => conn.pongs++);
    ws.on('message', (data: Buffer, isBinary) => {
      conn.messages.push(data);
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('send:')) ws.send(Buffer.alloc(Number(text.slice(5)), 0x61), { binary: true });
      else ws.send(data, { binary: isBinary });
    });
    ws.on('error', () => ws.terminate());
    const w = waiting.shift();
    if (w) w(conn);
    else untaken.push(conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    connections,
    next: () => new Promise((resolve) => {
      const c = untaken.shift();
      if (c) resolve(c);
      else waiting.push(resolve);
    }),
    close: () => closeWebSocketServer(wss, server),
  };
}
