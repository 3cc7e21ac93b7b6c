// A small ASP.NET Core SignalR hub, written from the published specs (dotnet/aspnetcore
// src/SignalR/docs/specs TransportProtocols.md and HubProtocol.md), so the official
// @microsoft/signalr client can run all three transports against a Node backend: negotiate,
// WebSockets, Server-Sent Events + HTTP POST, Long Polling + HTTP POST + DELETE, and the JSON
// hub protocol (handshake, invocation/completion, ping, close). Hub methods: Whoami() -> the
// backend name, Echo(text) -> `${backend}:${text}`.
//
// Connections live in one process's memory, exactly like a real hub without a backplane: a
// request carrying a connection token this backend did not issue gets 404. That is what makes
// session affinity necessary behind a balancer.

import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SignalRHub {
  readonly backend: string;
  /** Connections currently known (negotiated and not yet closed). */
  readonly connections: number;
  close(): void;
}

const RS = '\x1e'; // the JSON hub protocol's record separator
const PING_MS = 15000; // the server keep-alive interval ASP.NET Core uses by default
const POLL_HOLD_MS = 20000; // a long poll with nothing to send ends with an empty 200 after this
const UNBOUND_MS = 30000; // a negotiated connection no transport picks up is dropped after this

// Message types of HubProtocol.md.
const INVOCATION = 1;
const STREAM_INVOCATION = 4;
const COMPLETION = 3;
const PING = 6;
const CLOSE = 7;

interface Connection {
  id: string;
  token: string;
  transport?: 'ws' | 'sse' | 'lp';
  handshaken: boolean;
  inbound: string;
  ws?: WebSocket;
  sse?: http.ServerResponse;
  poll?: { res: http.ServerResponse; timer: NodeJS.Timeout };
  queue: string[];
  closed: boolean;
  timer?: NodeJS.Timeout;
}

export function attachSignalRHub(server: http.Server, opts: { path: string; backend: string }): SignalRHub {
  const base = opts.path.replace(/\/+$/, '');
  const conns = new Map<string, Connection>();
  const wss = new WebSocketServer({ noServer: true });

  const pathOf = (req: http.IncomingMessage) => new URL(req.url ?? '/', 'http://x').pathname;
  const idOf = (req: http.IncomingMessage) => new URL(req.url ?? '/', 'http://x').searchParams.get('id');

  const methods: Record<string, (args: unknown[]) => unknown> = {
    whoami: () => opts.backend,
    echo: (args) => `${opts.backend}:${String(args[0])}`,
  };

  function deliver(c: Connection, text: string): void {
    if (c.closed) return;
    if (c.transport === 'ws') c.ws?.send(text);
    else if (c.transport === 'sse') {
      // One SSE event per frame; every line of the payload is a data: line (the client joins them with \n).
      c.sse?.write(text.split(/\r?\n/).map((l) => `data: ${l}\r\n`).join('') + '\r\n');
    } else {
      c.queue.push(text);
      flushPoll(c);
    }
  }

  function flushPoll(c: Connection): void {
    if (!c.poll || c.queue.length === 0) return;
    const { res, timer } = c.poll;
    c.poll = undefined;
    clearTimeout(timer);
    const body = c.queue.join('');
    c.queue = [];
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  function dispose(c: Connection, closeMessage?: string): void {
    if (c.closed) return;
    if (closeMessage !== undefined) deliver(c, closeMessage);
    c.closed = true;
    conns.delete(c.token);
    clearInterval(c.timer);
    clearTimeout(c.timer);
    c.ws?.close(1000);
    c.sse?.end();
    if (c.poll) {
      clearTimeout(c.poll.timer);
      // A poll still pending when the connection ends is answered 204: the server has shut it down.
      c.poll.res.writeHead(204).end();
      c.poll = undefined;
    }
  }

  function bind(c: Connection, transport: 'ws' | 'sse' | 'lp'): void {
    c.transport = transport;
    clearTimeout(c.timer);
    c.timer = setInterval(() => deliver(c, JSON.stringify({ type: PING }) + RS), PING_MS);
    c.timer.unref();
  }

  function receive(c: Connection, chunk: string): void {
    c.inbound += chunk;
    let end: number;
    while (!c.closed && (end = c.inbound.indexOf(RS)) !== -1) {
      const record = c.inbound.slice(0, end);
      c.inbound = c.inbound.slice(end + 1);
      handle(c, record);
    }
  }

  function handle(c: Connection, record: string): void {
    let msg: { protocol?: string; version?: number; type?: number; invocationId?: string; target?: string; arguments?: unknown[] };
    try {
      msg = JSON.parse(record) as typeof msg;
    } catch {
      return dispose(c, JSON.stringify({ type: CLOSE, error: 'Connection closed with an error: invalid JSON.' }) + RS);
    }
    if (!c.handshaken) {
      // The handshake is the first record: {"protocol":"json","version":1}, answered {} or {"error":...}.
      if (msg.protocol !== 'json' || msg.version !== 1) {
        return dispose(c, JSON.stringify({ error: `Requested protocol '${msg.protocol}' is not available.` }) + RS);
      }
      c.handshaken = true;
      return deliver(c, '{}' + RS);
    }
    switch (msg.type) {
      case INVOCATION: {
        const fn = methods[String(msg.target).toLowerCase()]; // hub method names are case-insensitive
        if (msg.invocationId === undefined) {
          fn?.(msg.arguments ?? []); // non-blocking invocation: no completion is sent
          return;
        }
        const completion = fn
          ? { type: COMPLETION, invocationId: msg.invocationId, result: fn(msg.arguments ?? []) }
          : { type: COMPLETION, invocationId: msg.invocationId, error: `Failed to invoke '${msg.target}' due to an error on the server. HubException: Method does not exist.` };
        return deliver(c, JSON.stringify(completion) + RS);
      }
      case STREAM_INVOCATION:
        return deliver(c, JSON.stringify({ type: COMPLETION, invocationId: msg.invocationId, error: 'Streaming is not supported by this hub.' }) + RS);
      case CLOSE:
        return dispose(c);
      default:
        return; // ping, cancel and anything newer: nothing to answer
    }
  }

  function negotiate(req: http.IncomingMessage, res: http.ServerResponse): void {
    const c: Connection = {
      id: randomBytes(16).toString('base64url'),
      token: randomBytes(16).toString('base64url'),
      handshaken: false,
      inbound: '',
      queue: [],
      closed: false,
    };
    c.timer = setTimeout(() => dispose(c), UNBOUND_MS);
    c.timer.unref();
    conns.set(c.token, c);
    req.resume();
    const body = JSON.stringify({
      negotiateVersion: 1,
      connectionId: c.id,
      connectionToken: c.token,
      availableTransports: [
        { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
        { transport: 'ServerSentEvents', transferFormats: ['Text'] },
        { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
      ],
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  function reply(res: http.ServerResponse, status: number, text = ''): void {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const p = pathOf(req);
    if (p === `${base}/negotiate`) {
      if (req.method !== 'POST') return reply(res, 405);
      return negotiate(req, res);
    }
    if (p !== base && p !== `${base}/`) {
      // Everything under the hub's path is the hub's; anything else belongs to another handler.
      if (p.startsWith(`${base}/`)) reply(res, 404);
      return;
    }
    const token = idOf(req);
    if (token === null) return reply(res, 400, 'Connection ID required');
    const c = conns.get(token);
    if (!c) {
      req.resume();
      return reply(res, 404, 'No Connection with that ID');
    }
    if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/event-stream')) {
      if (c.transport) return reply(res, 409, 'Connection already has a transport');
      bind(c, 'sse');
      c.sse = res;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(':\r\n\r\n'); // a comment line so the stream starts right away
      req.socket.setTimeout(0);
      res.on('close', () => dispose(c));
      return;
    }
    if (req.method === 'GET') {
      if (c.transport && c.transport !== 'lp') return reply(res, 409, 'Connection already has a transport');
      if (!c.transport) {
        // The first poll binds the transport and returns at once, without data.
        bind(c, 'lp');
        return reply(res, 200);
      }
      if (c.poll) {
        // A newer poll supersedes the pending one, which is ended with 204 (TransportProtocols.md).
        clearTimeout(c.poll.timer);
        c.poll.res.writeHead(204).end();
      }
      const timer = setTimeout(() => {
        if (c.poll?.res === res) {
          c.poll = undefined;
          reply(res, 200); // poll timeout with no data: the client polls again
        }
      }, POLL_HOLD_MS);
      timer.unref();
      c.poll = { res, timer };
      res.on('close', () => {
        if (c.poll?.res === res) {
          clearTimeout(timer);
          c.poll = undefined;
        }
      });
      flushPoll(c);
      return;
    }
    if (req.method === 'POST') {
      if (c.transport !== 'sse' && c.transport !== 'lp') return reply(res, 400, 'POST requires SSE or long polling');
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        reply(res, 200);
        receive(c, Buffer.concat(chunks).toString('utf8'));
      });
      return;
    }
    if (req.method === 'DELETE') {
      req.resume();
      reply(res, 202, 'Accepted');
      dispose(c);
      return;
    }
    reply(res, 405);
  }

  function onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const p = pathOf(req);
    if (p !== base && p !== `${base}/`) return; // not ours
    const token = idOf(req);
    let c = token === null ? undefined : conns.get(token);
    if (token !== null && !c) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (c?.transport) {
      socket.end('HTTP/1.1 409 Conflict\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!c) {
      // WebSockets without negotiate (skipNegotiation): a fresh connection.
      c = { id: randomBytes(16).toString('base64url'), token: randomBytes(16).toString('base64url'), handshaken: false, inbound: '', queue: [], closed: false };
      conns.set(c.token, c);
    }
    const conn = c;
    bind(conn, 'ws');
    wss.handleUpgrade(req, socket, head, (ws) => {
      conn.ws = ws;
      ws.on('message', (data, isBinary) => receive(conn, isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString()));
      ws.on('close', () => dispose(conn));
      ws.on('error', () => ws.terminate());
    });
  }

  server.on('request', onRequest);
  server.on('upgrade', onUpgrade);

  return {
    backend: opts.backend,
    get connections() {
      return conns.size;
    },
    close() {
      server.off('request', onRequest);
      server.off('upgrade', onUpgrade);
      for (const c of [...conns.values()]) dispose(c, JSON.stringify({ type: CLOSE }) + RS);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
