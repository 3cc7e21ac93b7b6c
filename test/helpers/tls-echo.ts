// A wss:// echo backend (the echo server's behaviour over TLS), for upstream TLS tests.

import https from 'node:https';
import type net from 'node:net';
import { closeWebSocketServer } from '../../examples/echo-server.js';
import { WebSocketServer } from 'ws';

export interface TlsEchoServer {
  port: number;
  close(): Promise<void>;
}

export async function startTlsEchoServer(name: string, cert: string, key: string): Promise<TlsEchoServer> {
  const server = https.createServer({ cert, key });
  const wss = new WebSocketServer({ server, handleProtocols: (p) => p.values().next().value ?? false });
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify({ backend: name, path: req.url ?? '', protocol: ws.protocol, headers: req.headers }));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => closeWebSocketServer(wss, server),
  };
}
