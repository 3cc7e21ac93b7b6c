// The handshake with the backend, on a socket the connector (upgrade-exchange.ts) opened: write
// the client's upgrade request, read the backend's answer head ourselves, and then either hand
// both sockets to a LiveConnection (a 101 with the right Sec-WebSocket-Accept), relay the answer
// (response-relay.ts), or fail the upgrade (502/504): the backend side of the WebSocket opening
// handshake. client-handshake.ts checks the client's side; --handshake-timeout
// (handshake-timeout.ts) bounds how long a client may take to send its request head.

import type http from 'node:http';
import type net from 'node:net';
import type { RequestContext } from '../pipeline/context.js';
import type { UpgradeResponder } from '../pipeline/responder.js';
import type { CompiledRoute, Endpoint } from '../routing/types.js';
import { drainIfGone } from './lifecycle.js';
import type { LiveConnection } from './live-connection.js';
import type { UpgradeResult } from './observer.js';
import type { UpgradeExchangeDeps } from './upgrade-exchange-deps.js';
import { acceptMatches } from './websocket-accept.js';

/** What a handshake reports to and reads from the exchange that started it. */
export interface HandshakeOwner {
  readonly deps: UpgradeExchangeDeps;
  /** One function for every connection: the first of its sockets closed. */
  readonly connectionEnded: (conn: LiveConnection) => void;
  report(ctx: RequestContext, result: UpgradeResult): void;
  eject(route: CompiledRoute, endpointId: string): void;
}

/** A backend answer head larger than this is not HTTP we relay: 502. */
const MAX_RESPONSE_HEAD = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * The upgrade request for the backend: the (rewritten) target and the prepared headers. It has
 * no body (client-handshake.ts refuses one), so it carries no Content-Length or Transfer-Encoding.
 */
export function requestHead(url: string, headers: http.IncomingHttpHeaders): string {
  let text = `GET ${url} HTTP/1.1\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'content-length' || name === 'transfer-encoding') continue;
    if (typeof value === 'string') text += `${name}: ${value}\r\n`;
    else for (const each of value) text += `${name}: ${each}\r\n`;
  }
  return text + '\r\n';
}

/** "HTTP/1.x NNN ..." -> NNN, or -1 when the head does not start with a status line. */
export function statusOf(head: Buffer): number {
  // 'H' 'T' 'T' 'P' '/' '1' '.' d ' ' d d d
  if (head.length < 12 || head.toString('latin1', 0, 7) !== 'HTTP/1.' || head[8] !== 0x20) return -1;
  const hundreds = head[9]! - 48;
  const tens = head[10]! - 48;
  const units = head[11]! - 48;
  if (hundreds < 1 || hundreds > 5 || tens < 0 || tens > 9 || units < 0 || units > 9) return -1;
  if (head.length > 12 && head[12] !== 0x20 && head[12] !== 0x0d) return -1;
  return hundreds * 100 + tens * 10 + units;
}

const kHandshake = Symbol('wsgate.handshake');
type HsSocket = net.Socket & { [kHandshake]?: BackendHandshake };

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
function hsAnswerTimeout(hs: BackendHandshake): void {
  hs.onAnswerTimeout();
}

/**
 * One upgrade between the request written to the backend and its answer. Once the 101 is
 * forwarded it hands both sockets to a LiveConnection and nothing of it stays reachable.
 */
export class BackendHandshake {
  private pending: Buffer | null = null;
  private done = false;
  /** The client end's stream (the socket; an h2 stream): its close means the client left. */
  private readonly client: HsSocket;
  /** The bound on the backend's answer (timeouts.upgrade). */
  private readonly answerTimer: NodeJS.Timeout;

  constructor(
    private readonly owner: HandshakeOwner,
    private readonly ctx: RequestContext,
    /** Answers the client: interim answers, the 101, a relayed rejection, a failure. */
    private readonly responder: UpgradeResponder,
    private readonly endpoint: Endpoint,
    private readonly backend: HsSocket,
  ) {
    const client = (this.client = responder.client as HsSocket);
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
      this.responder.interim(buf.subarray(0, headEnd));
      if (headEnd < buf.length) this.onData(buf.subarray(headEnd));
      return;
    }
    this.rejected(buf, headEnd, status);
  }

  /** The 101: forward it (plus the respond stage's lines), then the connection is live. */
  private upgraded(buf: Buffer, headEnd: number): void {
    const { owner, ctx, client, backend, endpoint, responder } = this;
    const deps = owner.deps;
    const route = ctx.route!;
    this.detach();
    responder.accept(deps.respond(ctx, buf.subarray(0, headEnd)));
    const conn = deps.connections.add({
      routeKey: route.key,
      endpointId: endpoint.id,
      client,
      backend,
      requestId: ctx.requestId,
      clientAddress: ctx.client,
      ...(ctx.clientCertificate ? { clientCert: ctx.clientCertificate.subject } : {}),
      protocol: ctx.protocol,
      onEnded: owner.connectionEnded,
      ...(route.messages ? { messages: route.messages } : {}),
      ...(route.keepalive ? { keepalive: route.keepalive } : {}),
      ...(deps.observer.messageEvents ? { messageEvents: deps.observer.messageEvents } : {}),
    });
    // Frames the backend sent right behind its 101, and the client's own that came with its
    // request head: forwarded as the first bytes each way.
    if (headEnd < buf.length) conn.relayFromBackend(buf.subarray(headEnd));
    if (responder.head.length > 0) conn.relayFromClient(responder.head);
    conn.setIdleTimeout(route.timeouts.idleMs);
    conn.setMaxLifetime(route.timeouts.maxLifetimeMs);
    deps.connections.watch(conn.shortestTimeout());
    deps.health.succeed(endpoint.id);
    // The endpoint may have left the table while this upgrade was in flight.
    drainIfGone(conn, deps.table(), deps.connections);
    owner.report(ctx, 'ok');
    deps.observer.opened(conn);
  }

  /** Any other answer goes to the client as is; the connection closes after its body. */
  private rejected(buf: Buffer, headEnd: number, status: number): void {
    const { owner, ctx, backend, endpoint } = this;
    this.detach();
    owner.deps.load.release(endpoint.id);
    owner.report(ctx, 'backend_rejected');
    // Backends that answer the upgrade with a 5xx count as failed handshakes for passive health.
    if (status >= 500) owner.eject(ctx.route!, endpoint.id);
    this.responder.relayRejection(backend, buf, headEnd, status);
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
    const { owner, ctx, backend, endpoint } = this;
    const route = ctx.route!;
    this.detach();
    backend.on('error', hsClientError);
    backend.destroy();
    owner.deps.load.release(endpoint.id);
    owner.deps.log.warn({ err: why, route: route.key, endpoint: endpoint.id, requestId: ctx.requestId, result }, 'backend failed during handshake');
    owner.report(ctx, result);
    owner.eject(route, endpoint.id);
    this.responder.refuse(status, message);
  }

  onClientGone(): void {
    if (this.done) return;
    const { owner, ctx, backend, endpoint } = this;
    this.detach();
    backend.on('error', hsClientError);
    backend.destroy();
    owner.deps.load.release(endpoint.id);
    owner.report(ctx, 'client_gone');
  }
}
