// The backend exchange of an upgrade: connect to an endpoint first (a refused or slow one is
// retried on another while the client waits), then write the upgrade request on that socket
// and read the backend's answer ourselves. A 101 head is forwarded byte for byte, with only
// the respond stage's changes (Set-Cookie for session affinity, an HTTPRoute's response header
// modifiers);
// any other answer is relayed as is, body included, and the client connection then closes.
// The answer has its own bound (the route's timeouts.upgrade; 504 past it), and a 101 must
// carry the Sec-WebSocket-Accept of the client's key (502 otherwise): only then is the client
// tunnelled.
//
// This replaced http-proxy-3's ws() for upgrades (it is kept for plain HTTP): its path costs a
// ClientRequest, an http.Agent, a second HTTP parser and IncomingMessage for the 101, a rebuilt
// 101 head and pipe() setup per upgrade, and kept most of it alive for the connection's
// lifetime. docs/benchmarks.md ("Upgrades without http-proxy-3's ws()") has the figures.

import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { EndpointHealth } from '../balancer/health.js';
import type { EndpointLoad } from '../balancer/load.js';
import type { RequestContext } from '../pipeline/context.js';
import type { RoutingTable } from '../routing/table.js';
import type { CompiledRoute, Endpoint } from '../routing/types.js';
import { BackendConnectError, connectBackend } from './connect.js';
import type { ConnectionRegistry } from './connections.js';
import { drainIfGone } from './lifecycle.js';
import type { LiveConnection } from './live-connection.js';
import type { ProxyObserver, UpgradeResult } from './observer.js';
import { respondAndClose } from './respond.js';
import { acceptMatches } from './websocket-accept.js';

export interface UpgradeExchangeDeps {
  log: Logger;
  load: EndpointLoad;
  health: EndpointHealth;
  connections: ConnectionRegistry;
  observer: ProxyObserver;
  table: () => RoutingTable;
  /**
   * The respond stage on the backend's 101 head (status line to blank line, latin1): what to
   * write instead (Set-Cookie added, HTTPRoute response header modifiers applied), or the same
   * buffer when nothing changes.
   */
  respond: (ctx: RequestContext, head: Buffer) => Buffer | string;
}

/** A backend answer head larger than this is not HTTP we relay: 502. */
const MAX_RESPONSE_HEAD = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

export class UpgradeExchanges {
  /** One function for every connection: the first of its sockets closed. */
  readonly connectionEnded: (conn: LiveConnection) => void;

  constructor(readonly d: UpgradeExchangeDeps) {
    this.connectionEnded = (conn) => {
      d.load.release(conn.endpointId);
      if (d.connections.delete(conn)) d.observer.closed(conn);
    };
  }

  async run(ctx: RequestContext, socket: Duplex, head: Buffer, choose: (tried: ReadonlySet<string>) => Endpoint | undefined, maxAttempts: number): Promise<void> {
    const route = ctx.route!;
    const tried = new Set<string>();
    let lastError: BackendConnectError | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const endpoint = choose(tried);
      if (!endpoint) break;
      tried.add(endpoint.id);
      let backend: net.Socket;
      try {
        backend = await connectBackend(endpoint, { timeoutMs: route.timeouts.connectMs, tls: route.backend.tls });
      } catch (err) {
        if (!(err instanceof BackendConnectError)) throw err;
        lastError = err;
        const ejectedMs = this.d.health.fail(endpoint.id);
        this.d.observer.ejected(route, endpoint.id);
        this.d.log.warn({ route: route.key, endpoint: endpoint.id, reason: err.kind, ejectedMs }, 'backend connect failed; endpoint ejected');
        if (socket.destroyed) return;
        continue;
      }
      if (socket.destroyed) {
        backend.destroy();
        this.report(ctx, 'client_gone');
        return;
      }
      ctx.endpoint = endpoint;
      this.d.load.acquire(endpoint.id);
      new Handshake(this, ctx, socket as net.Socket, head, endpoint, backend);
      return;
    }
    ctx.endpoint = undefined;
    if (lastError?.kind === 'timeout') return this.finish(ctx, socket, 'timeout', 504, 'backend connect timed out');
    return this.finish(ctx, socket, 'backend_error', 502, 'no backend accepted the connection');
  }

  report(ctx: RequestContext, result: UpgradeResult): void {
    this.d.observer.upgrade(ctx.route ?? null, result, (performance.now() - ctx.started) / 1000);
  }

  eject(route: CompiledRoute, endpointId: string): void {
    this.d.health.fail(endpointId);
    this.d.observer.ejected(route, endpointId);
  }

  private finish(ctx: RequestContext, socket: Duplex, result: UpgradeResult, status: number, message: string): void {
    this.report(ctx, result);
    respondAndClose(socket, status, message);
  }
}

/**
 * The upgrade request for the backend: the (rewritten) target and the prepared headers. It has
 * no body (handshake.ts refuses one), so it carries no Content-Length or Transfer-Encoding.
 */
export function requestHead(url: string, headers: http.IncomingHttpHeaders): string {
  let s = `GET ${url} HTTP/1.1\r\n`;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || name === 'content-length' || name === 'transfer-encoding') continue;
    if (typeof v === 'string') s += `${name}: ${v}\r\n`;
    else for (const x of v) s += `${name}: ${x}\r\n`;
  }
  return s + '\r\n';
}

/** "HTTP/1.x NNN ..." -> NNN, or -1 when the head does not start with a status line. */
export function statusOf(head: Buffer): number {
  // 'H' 'T' 'T' 'P' '/' '1' '.' d ' ' d d d
  if (head.length < 12 || head.toString('latin1', 0, 7) !== 'HTTP/1.' || head[8] !== 0x20) return -1;
  const a = head[9]! - 48;
  const b = head[10]! - 48;
  const c = head[11]! - 48;
  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  if (head.length > 12 && head[12] !== 0x20 && head[12] !== 0x0d) return -1;
  return a * 100 + b * 10 + c;
}

const kHandshake = Symbol('wsgate.handshake');
type HsSocket = net.Socket & { [kHandshake]?: Handshake };

// Shared listeners of the handshake phase (no closures per upgrade).
function hsBackendData(this: HsSocket, chunk: Buffer): void {
  this[kHandshake]?.onData(chunk);
}
function hsBackendError(this: HsSocket, err: Error): void {
  this[kHandshake]?.onBackendFailed(err);
}
function hsBackendClose(this: HsSocket): void {
  this[kHandshake]?.onBackendFailed(undefined);
}
function hsClientClose(this: HsSocket): void {
  this[kHandshake]?.onClientGone();
}
function hsClientError(): void {}
function hsAnswerTimeout(hs: Handshake): void {
  hs.onAnswerTimeout();
}

/**
 * One upgrade between the request written to the backend and its answer. Once the 101 is
 * forwarded it hands both sockets to a LiveConnection and nothing of it stays reachable.
 */
class Handshake {
  private pending: Buffer | null = null;
  private done = false;
  /** The bound on the backend's answer (timeouts.upgrade). */
  private readonly answerTimer: NodeJS.Timeout;

  constructor(
    private readonly x: UpgradeExchanges,
    private readonly ctx: RequestContext,
    private readonly client: HsSocket,
    private readonly head: Buffer,
    private readonly endpoint: Endpoint,
    private readonly backend: HsSocket,
  ) {
    client[kHandshake] = this;
    backend[kHandshake] = this;
    backend.on('data', hsBackendData);
    backend.on('error', hsBackendError);
    backend.on('close', hsBackendClose);
    client.on('close', hsClientClose);
    client.on('error', hsClientError);
    const req = ctx.req;
    // latin1: Node's parser read each byte as one character (obs-text in values included), so
    // this writes the bytes the client sent; utf8 would turn each byte above 0x7F into two.
    backend.write(requestHead(req.url ?? '/', req.headers), 'latin1');
    // A backend that accepts the connection but never answers would otherwise hold the client
    // until a TCP timeout; the bound starts with the request written, as nginx's read timeout.
    this.answerTimer = setTimeout(hsAnswerTimeout, ctx.route!.timeouts.upgradeMs, this);
  }

  /** Detaches the handshake's listeners from both sockets. */
  private detach(): void {
    this.done = true;
    clearTimeout(this.answerTimer);
    const { client, backend } = this;
    client[kHandshake] = undefined;
    backend[kHandshake] = undefined;
    backend.removeListener('data', hsBackendData);
    backend.removeListener('error', hsBackendError);
    backend.removeListener('close', hsBackendClose);
    client.removeListener('close', hsClientClose);
    client.removeListener('error', hsClientError);
  }

  onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    const end = buf.indexOf(CRLFCRLF);
    if (end === -1) {
      if (buf.length > MAX_RESPONSE_HEAD) return this.failed('the backend\'s answer head is too large', 502);
      this.pending = buf;
      return;
    }
    const headEnd = end + 4;
    const status = statusOf(buf);
    if (status === -1) return this.failed('the backend did not answer with HTTP', 502);
    if (status === 101) {
      // Checked before anything of the 101 reaches the client or of the client the backend.
      if (!acceptMatches(buf.toString('latin1', 0, headEnd), this.ctx.req.headers['sec-websocket-key'])) {
        return this.failed('the backend\'s 101 does not carry the Sec-WebSocket-Accept of the client\'s key', 502);
      }
      return this.upgraded(buf, headEnd);
    }
    if (status < 200) {
      // An interim answer (100, 103): relayed, and the real one follows.
      this.client.write(buf.subarray(0, headEnd));
      if (headEnd < buf.length) this.onData(buf.subarray(headEnd));
      return;
    }
    this.rejected(buf, headEnd, status);
  }

  /** The 101: forward it (plus the respond stage's lines), then the connection is live. */
  private upgraded(buf: Buffer, headEnd: number): void {
    const { x, ctx, client, backend, endpoint } = this;
    const d = x.d;
    const route = ctx.route!;
    this.detach();
    const head = buf.subarray(0, headEnd);
    const answer = d.respond(ctx, head);
    client.write(answer === head ? head : typeof answer === 'string' ? Buffer.from(answer, 'latin1') : answer);
    const conn = d.connections.add({
      routeKey: route.key,
      endpointId: endpoint.id,
      client,
      backend,
      requestId: ctx.requestId,
      clientAddress: ctx.client,
      onEnded: x.connectionEnded,
      ...(route.messages ? { messages: route.messages } : {}),
      ...(route.keepalive ? { keepalive: route.keepalive } : {}),
      ...(d.observer.messageEvents ? { messageEvents: d.observer.messageEvents } : {}),
    });
    // Frames the backend sent right behind its 101, and the client's own that came with its
    // request head: forwarded as the first bytes each way.
    if (headEnd < buf.length) conn.relayFromBackend(buf.subarray(headEnd));
    if (this.head.length > 0) conn.relayFromClient(this.head);
    conn.setIdleTimeout(route.timeouts.idleMs);
    conn.setMaxLifetime(route.timeouts.maxLifetimeMs);
    d.connections.watch(conn.shortestTimeout());
    d.health.succeed(endpoint.id);
    // The endpoint may have left the table while this upgrade was in flight.
    drainIfGone(conn, d.table(), d.connections);
    x.report(ctx, 'ok');
    d.observer.opened(conn);
  }

  /** Any other answer goes to the client as is; the connection closes after its body. */
  private rejected(buf: Buffer, headEnd: number, status: number): void {
    const { x, ctx, client, backend, endpoint } = this;
    this.detach();
    x.d.load.release(endpoint.id);
    x.report(ctx, 'backend_rejected');
    // Backends that answer the upgrade with a 5xx count as failed handshakes for passive health.
    if (status >= 500) x.eject(ctx.route!, endpoint.id);
    new ResponseRelay(client, backend, buf, headEnd, status);
  }

  /** The backend failed (error or close) before its answer was complete: 502. */
  onBackendFailed(err: Error | undefined): void {
    if (this.done) return;
    this.failed(err ? String(err) : 'the backend closed the connection before answering', 502);
  }

  /** timeouts.upgrade ran out with no complete answer: 504, and the endpoint counts as failed. */
  onAnswerTimeout(): void {
    if (this.done) return;
    const ms = this.ctx.route!.timeouts.upgradeMs;
    this.failed(`no answer to the upgrade request within ${ms} ms`, 504, 'timeout', 'backend did not answer the WebSocket upgrade in time');
  }

  private failed(why: string, status: number, result: UpgradeResult = 'backend_error', message = 'backend failed during the WebSocket handshake'): void {
    const { x, ctx, client, backend, endpoint } = this;
    const route = ctx.route!;
    this.detach();
    backend.on('error', hsClientError);
    backend.destroy();
    x.d.load.release(endpoint.id);
    x.d.log.warn({ err: why, route: route.key, endpoint: endpoint.id, requestId: ctx.requestId, result }, 'backend failed during handshake');
    x.report(ctx, result);
    x.eject(route, endpoint.id);
    respondAndClose(client, status, message);
  }

  onClientGone(): void {
    if (this.done) return;
    const { x, ctx, backend, endpoint } = this;
    this.detach();
    backend.on('error', hsClientError);
    backend.destroy();
    x.d.load.release(endpoint.id);
    x.report(ctx, 'client_gone');
  }
}

const kRelay = Symbol('wsgate.relay');
type RelaySocket = net.Socket & { [kRelay]?: ResponseRelay };
function relayData(this: RelaySocket, chunk: Buffer): void {
  this[kRelay]!.body(chunk);
}
function relayEnd(this: RelaySocket): void {
  this[kRelay]!.finish();
}
function relayIgnoreError(): void {}

/**
 * Relays a non-101 answer byte for byte: its head, then its body as the backend delimits it
 * (Content-Length, chunked, or until the backend closes), then ends the client connection.
 */
class ResponseRelay {
  /** Body bytes still to come with Content-Length; -1 chunked, -2 until close. */
  private left: number;
  private readonly chunked: ChunkedEnd | null = null;
  private over = false;

  constructor(
    private readonly client: net.Socket,
    private readonly backend: RelaySocket,
    buf: Buffer,
    headEnd: number,
    status: number,
  ) {
    const headText = buf.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(headText);
    const chunked = /\r\ntransfer-encoding:[^\r\n]*chunked/i.test(headText);
    if (status === 204 || status === 304) this.left = 0;
    else if (chunked) {
      this.left = -1;
      this.chunked = new ChunkedEnd();
    } else if (length) this.left = Number(length[1]);
    else this.left = -2;
    client.write(buf.subarray(0, headEnd));
    backend[kRelay] = this;
    backend.on('data', relayData);
    backend.on('end', relayEnd);
    backend.on('close', relayEnd);
    backend.on('error', relayIgnoreError);
    if (headEnd < buf.length) this.body(buf.subarray(headEnd));
    else if (this.left === 0) this.finish();
  }

  body(chunk: Buffer): void {
    if (this.over) return;
    let n = chunk.length;
    if (this.left >= 0) n = Math.min(n, this.left);
    else if (this.chunked) {
      const end = this.chunked.feed(chunk);
      if (end !== -1) n = end;
    }
    if (n > 0) this.client.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    if (this.left >= 0) this.left -= n;
    if (this.left === 0 || this.chunked?.done) this.finish();
  }

  finish(): void {
    if (this.over) return;
    this.over = true;
    this.backend.destroy();
    this.client.end();
    // A client that never reads must not keep the socket.
    const client = this.client;
    const timer = setTimeout(() => client.destroy(), 5000);
    timer.unref();
    client.once('close', () => clearTimeout(timer));
  }
}

/** Finds where a chunked body ends (last chunk, trailers, blank line), without copying it. */
export class ChunkedEnd {
  done = false;
  /** 0 size line, 1 data, 2 CRLF after data, 3 trailer line start, 4 in a trailer line. */
  private state = 0;
  private size = 0;
  private sawDigit = false;
  private inExt = false;

  /** Feeds bytes; returns how many of them belong to the body when it ends in this chunk, else -1. */
  feed(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      const b = chunk[i]!;
      switch (this.state) {
        case 0:
          if (b === 0x0a) {
            if (this.size === 0 && this.sawDigit) this.state = 3;
            else {
              this.state = 1;
            }
            this.sawDigit = false;
            this.inExt = false;
          } else if (!this.inExt && b !== 0x0d) {
            const h = hexValue(b);
            if (h === -1) this.inExt = true;
            else {
              this.size = this.size * 16 + h;
              this.sawDigit = true;
            }
          }
          i++;
          break;
        case 1: {
          const take = Math.min(this.size, chunk.length - i);
          this.size -= take;
          i += take;
          if (this.size === 0) this.state = 2;
          break;
        }
        case 2:
          // The CRLF after a chunk's data.
          if (b === 0x0a) {
            this.state = 0;
            this.size = 0;
          }
          i++;
          break;
        case 3:
          // Start of a trailer line: a bare CRLF ends the body.
          i++;
          if (b === 0x0a) {
            this.done = true;
            return i;
          }
          if (b !== 0x0d) this.state = 4;
          break;
        case 4:
          i++;
          if (b === 0x0a) this.state = 3;
          break;
      }
    }
    return -1;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}
