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
  run(
    ctx: RequestContext,
    socket: Duplex,
    head: Buffer,
    choose: (tried: ReadonlySet<string>) => Endpoint | undefined,
    maxAttempts: number,
    responder: UpgradeResponder = new SocketResponder(socket, head),
  ): void {
    // Callbacks, not awaits: no promise per upgrade for the connect (issue 27).
    this.attempt(ctx, responder, choose, maxAttempts, new Set<string>(), undefined);
  }

  private attempt(
    ctx: RequestContext,
    responder: UpgradeResponder,
    choose: (tried: ReadonlySet<string>) => Endpoint | undefined,
    attemptsLeft: number,
    tried: Set<string>,
    lastError: BackendConnectError | undefined,
  ): void {
    const route = ctx.route!;
    const endpoint = attemptsLeft > 0 ? choose(tried) : undefined;
    if (!endpoint) {
      ctx.endpoint = undefined;
      if (lastError?.kind === 'timeout') return this.finish(ctx, responder, 'timeout', 504, 'backend connect timed out');
      return this.finish(ctx, responder, 'backend_error', 502, 'no backend accepted the connection');
    }
    tried.add(endpoint.id);
    // Counted from the choice, not from the connect: upgrades that arrive while others are
    // still connecting (a reconnect storm) see them, so least connections spreads the burst
    // instead of sending all of it to the endpoint that looked emptiest.
    this.deps.load.acquire(endpoint.id);
    connectBackend(endpoint, { timeoutMs: route.timeouts.connectMs, tls: route.backend.tls }, (err, backend) => {
      if (err) {
        this.deps.load.release(endpoint.id);
        const ejectedMs = this.deps.health.fail(endpoint.id);
        this.deps.observer.ejected(route, endpoint.id);
        this.deps.log.warn({ route: route.key, endpoint: endpoint.id, reason: err.kind, ejectedMs }, 'backend connect failed; endpoint ejected');
        if (responder.gone) return;
        return this.attempt(ctx, responder, choose, attemptsLeft - 1, tried, err);
      }
      if (responder.gone) {
        this.deps.load.release(endpoint.id);
        backend!.destroy();
        this.report(ctx, 'client_gone');
        return;
      }
      ctx.endpoint = endpoint;
      try {
        new BackendHandshake(this, ctx, responder, endpoint, backend!);
      } catch (thrown) {
        // What the entry's catch did while this ran under a promise: logged, 500, no leak.
        this.deps.load.release(endpoint.id);
        backend!.destroy();
        this.deps.log.error({ err: thrown, route: route.key }, 'upgrade handler failed');
        responder.refuse(500, 'internal error');
      }
    });
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
