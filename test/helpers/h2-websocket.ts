// RFC 8441 in tests: an HTTP/2 TLS edge that advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and
// hands every extended CONNECT to a callback (the proxy's onWebSocketStream), and a client that
// opens WebSockets on streams of one HTTP/2 session with Node's http2 client, the frames on each
// stream read and written by a `ws` WebSocket in client mode (masked frames, as a browser's).

import http2 from 'node:http2';
import type net from 'node:net';
import WebSocket from 'ws';
import pino from 'pino';
import type { WebSocketProxy } from '../../src/proxy/server.js';
import { TlsListener } from '../../src/proxy/tls-listener.js';
import { MAIN_LISTENER } from '../../src/routing/gateway-types.js';
import { makeCa } from './certs.js';

export interface H2Edge {
  port: number;
  /** PEM of the CA that signed the edge's certificate (for 127.0.0.1). */
  ca: string;
  close(): Promise<void>;
}

export type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/**
 * A TLS HTTP/2 server on 127.0.0.1 (HTTP/2 only: no HTTP/1.1 fallback) whose extended CONNECT
 * streams go to `onWebSocket`; other streams to `onOther`, or 404.
 */
export async function startH2Edge(onWebSocket: StreamHandler, onOther?: StreamHandler): Promise<H2Edge> {
  const ca = makeCa();
  const leaf = ca.issue('wsgate h2 test', ['127.0.0.1', 'localhost']);
  const server = http2.createSecureServer({ cert: leaf.cert, key: leaf.key, settings: { enableConnectProtocol: true } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    if (headers[':method'] === 'CONNECT' && headers[':protocol'] === 'websocket') return onWebSocket(stream, headers);
    if (onOther) return onOther(stream, headers);
    stream.respond({ ':status': 404 });
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    ca: ca.cert,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * wsgate's own TLS listener (ALPN h2 and http/1.1) in front of `proxy`, on 127.0.0.1: its h2
 * connections go to the proxy's HTTP/2 server (h2ServerFor, the production wiring: session
 * limits and time bounds, stream dispatch, RFC 8441). Closing it stops accepting; the proxy's
 * close() ends the sessions.
 */
export async function startWsgateTlsEdge(proxy: WebSocketProxy): Promise<H2Edge> {
  const ca = makeCa();
  const leaf = ca.issue('wsgate h2 test', ['127.0.0.1', 'localhost']);
  const listener = new TlsListener({
    server: proxy.server,
    h2Server: proxy.h2ServerFor(MAIN_LISTENER),
    // Clients connect to 127.0.0.1 and send no SNI: the default certificate answers.
    contextFor: () => undefined,
    // One certificate for every name: no Host is misdirected here.
    servedBy: () => '',
    handshakeTimeoutMs: 10_000,
    log: pino({ level: 'silent' }),
  });
  listener.setDefault({ cert: leaf.cert, key: leaf.key });
  const address = await listener.listen('127.0.0.1', 0);
  return { port: address.port, ca: ca.cert, close: () => listener.stopAccepting() };
}

/** A client session that has read the server's SETTINGS (an extended CONNECT needs them first). */
export async function connectH2(port: number, ca: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca });
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  session.on('error', () => {});
  return session;
}

export interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  stream: http2.ClientHttp2Stream;
}

/** Sends an extended CONNECT for a WebSocket on `path`; resolves with the response HEADERS. */
export function extendedConnect(session: http2.ClientHttp2Session, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<H2Answer> {
  const stream = session.request({
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': path,
    ':authority': 'chat.test',
    'sec-websocket-version': '13',
    ...headers,
  });
  return new Promise((resolve, reject) => {
    stream.once('response', (h) => resolve({ status: Number(h[':status']), headers: h, stream }));
    stream.once('error', reject);
    stream.once('close', () => reject(new Error(`stream closed before a response (code ${stream.rstCode})`)));
  });
}

/** The body of a refused extended CONNECT, to its END_STREAM. */
export async function bodyOf(answer: H2Answer): Promise<string> {
  let text = '';
  answer.stream.setEncoding('utf8');
  for await (const chunk of answer.stream) text += chunk;
  return text;
}

/**
 * A WebSocket on an accepted stream: `ws` in client mode over the stream (its public client
 * needs a URL and makes its own HTTP/1.1 handshake; setSocket is what its server uses).
 */
export function webSocketOn(stream: http2.ClientHttp2Stream, maxPayload = 64 * 1024 * 1024): WebSocket {
  const ws = new WebSocket(null as unknown as string, undefined, { closeTimeout: 30_000 } as WebSocket.ClientOptions);
  const internals = ws as unknown as { _isServer: boolean; setSocket(s: unknown, head: Buffer, o: { maxPayload: number }): void };
  internals._isServer = false;
  internals.setSocket(stream, Buffer.alloc(0), { maxPayload });
  return ws;
}

export interface H2WebSocket {
  ws: WebSocket;
  headers: http2.IncomingHttpHeaders;
  stream: http2.ClientHttp2Stream;
  /** The next message (text as string, binary as Buffer). */
  next(): Promise<string | Buffer>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket over `session` (expects `:status 200`), queueing its messages. */
export async function openH2WebSocket(session: http2.ClientHttp2Session, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<H2WebSocket> {
  const answer = await extendedConnect(session, path, headers);
  if (answer.status !== 200) throw new Error(`extended CONNECT answered ${answer.status}: ${await bodyOf(answer)}`);
  const ws = webSocketOn(answer.stream);
  const queue: Array<string | Buffer> = [];
  const waiting: Array<(m: string | Buffer) => void> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const m = isBinary ? data : data.toString();
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return {
    ws,
    headers: answer.headers,
    stream: answer.stream,
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    closed,
  };
}
