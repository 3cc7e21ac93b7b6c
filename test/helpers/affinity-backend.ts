// A backend for session-affinity tests: plain requests and WebSocket upgrades are both answered
// with the backend's name, so a client can tell which endpoint served it; WebSockets then echo
// (to prove a connection is still alive). It sets a cookie of its own on both kinds of answer,
// so a test can check the proxy adds its cookie next to the application's instead of replacing it.

import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeWebSocketServer } from '../../examples/echo-server.js';

/** The JSON body of a plain answer, and the first message on a WebSocket. */
export interface Served {
  backend: string;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface AffinityBackend {
  readonly name: string;
  readonly port: number;
  /** WebSockets currently open on this backend. */
  readonly clients: Set<WebSocket>;
  close(): Promise<void>;
}

/** The backend's own cookie, present on every answer. */
export const APP_COOKIE = 'app-session';

export async function startAffinityBackend(name: string): Promise<AffinityBackend> {
  const served = (req: http.IncomingMessage): string =>
    JSON.stringify({ backend: name, method: req.method ?? '', path: req.url ?? '', headers: req.headers } satisfies Served);
  const server = http.createServer((req, res) => {
    const body = served(req);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'set-cookie': `${APP_COOKIE}=${name}; Path=/`,
    });
    res.end(body);
  });
  const wss = new WebSocketServer({ noServer: true });
  wss.on('headers', (headers) => headers.push(`Set-Cookie: ${APP_COOKIE}=${name}; Path=/`));
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(served(req));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => ws.terminate());
      wss.emit('connection', ws, req);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    name,
    port: (server.address() as net.AddressInfo).port,
    clients: wss.clients,
    close: () => closeWebSocketServer(wss, server),
  };
}

/**
 * One GET of `path` through wsgate on a fresh connection (every request balanced afresh),
 * sending the affinity cookie `name` when a value is given: which backend answered, and the
 * value of the `name` cookie wsgate set, if it set one.
 */
export async function getWithAffinity(proxyPort: number, path: string, name: string, value?: string): Promise<{ backend: string; setValue: string | undefined }> {
  const res = await fetch(`http://127.0.0.1:${proxyPort}${path}`, { headers: { connection: 'close', ...(value ? { cookie: `${name}=${value}` } : {}) } });
  const body = (await res.json()) as Served;
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return { backend: body.backend, setValue: set?.slice(name.length + 1).split(';')[0] };
}
