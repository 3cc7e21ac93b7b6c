// The backend exchange of an upgrade, its connector: connect to an endpoint first (a refused or
// slow one is retried on another while the client waits), then hand the socket to a
// BackendHandshake (backend-handshake.ts), which writes the upgrade request and reads the
// backend's answer. A 101 head is forwarded byte for byte, with only the respond stage's changes
// (Set-Cookie for session affinity, an HTTPRoute's response header modifiers); any other answer
// is relayed as is, body included (response-relay.ts, chunked-end.ts), and the client
// connection then closes. The answer has its own bound (the route's timeouts.upgrade; 504 past
// it), and a 101 must carry the Sec-WebSocket-Accept of the client's key (502 otherwise): only
// then is the client tunnelled.
//
// This replaced http-proxy-3's ws() for upgrades (it is kept for plain HTTP): its path costs a
// ClientRequest, an http.Agent, a second HTTP parser and IncomingMessage for the 101, a rebuilt
// 101 head and pipe() setup per upgrade, and kept most of it alive for the connection's
// lifetime. docs/benchmarks.md ("Upgrades without http-proxy-3's ws()") has the figures.

import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestContext } from '../pipeline/context.js';
import type { UpgradeResponder } from '../pipeline/responder.js';
import type { CompiledRoute, Endpoint } from '../routing/types.js';
import { BackendHandshake, type HandshakeOwner } from './backend-handshake.js';
import { BackendConnectError, connectBackend } from './connect.js';
import type { LiveConnection } from './live-connection.js';
import type { UpgradeResult } from './observer.js';
import { SocketResponder } from './socket-responder.js';
import type { UpgradeExchangeDeps } from './upgrade-exchange-deps.js';

export class UpgradeExchanges implements HandshakeOwner {
  /** One function for every connection: the first of its sockets closed. */
  readonly connectionEnded: (conn: LiveConnection) => void;

  constructor(readonly deps: UpgradeExchangeDeps) {
    this.connectionEnded = (conn) => {
      deps.load.release(conn.endpointId);
      if (deps.connections.delete(conn)) deps.observer.closed(conn);
    };
  }

  /**
   * Connects to an endpoint and starts the handshake. The client is answered through
   * `responder` (by default the HTTP/1.1 socket `socket`, with `head` behind its request).
   */
  async run(
    ctx: RequestContext,
    socket: Duplex,
    head: Buffer,
    choose: (tried: ReadonlySet<string>) => Endpoint | undefined,
    maxAttempts: number,
    responder: UpgradeResponder = new SocketResponder(socket, head),
  ): Promise<void> {
    const route = ctx.route!;
    const tried = new Set<string>();
    let lastError: BackendConnectError | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const endpoint = choose(tried);
      if (!endpoint) break;
      tried.add(endpoint.id);
      // Counted from the choice, not from the connect: upgrades that arrive while others are
      // still connecting (a reconnect storm) see them, so least connections spreads the burst
      // instead of sending all of it to the endpoint that looked emptiest.
      this.deps.load.acquire(endpoint.id);
      let backend: net.Socket;
      try {
        backend = await connectBackend(endpoint, { timeoutMs: route.timeouts.connectMs, tls: route.backend.tls });
      } catch (err) {
        this.deps.load.release(endpoint.id);
        if (!(err instanceof BackendConnectError)) throw err;
        lastError = err;
        const ejectedMs = this.deps.health.fail(endpoint.id);
        this.deps.observer.ejected(route, endpoint.id);
        this.deps.log.warn({ route: route.key, endpoint: endpoint.id, reason: err.kind, ejectedMs }, 'backend connect failed; endpoint ejected');
        if (responder.gone) return;
        continue;
      }
      if (responder.gone) {
        this.deps.load.release(endpoint.id);
        backend.destroy();
        this.report(ctx, 'client_gone');
        return;
      }
      ctx.endpoint = endpoint;
      new BackendHandshake(this, ctx, responder, endpoint, backend);
      return;
    }
    ctx.endpoint = undefined;
    if (lastError?.kind === 'timeout') return this.finish(ctx, responder, 'timeout', 504, 'backend connect timed out');
    return this.finish(ctx, responder, 'backend_error', 502, 'no backend accepted the connection');
  }

  report(ctx: RequestContext, result: UpgradeResult): void {
    this.deps.observer.upgrade(ctx.route ?? null, result, (performance.now() - ctx.started) / 1000, ctx.protocol);
  }

  eject(route: CompiledRoute, endpointId: string): void {
    this.deps.health.fail(endpointId);
    this.deps.observer.ejected(route, endpointId);
  }

  private finish(ctx: RequestContext, responder: UpgradeResponder, result: UpgradeResult, status: number, message: string): void {
    this.report(ctx, result);
    responder.refuse(status, message);
  }
}
