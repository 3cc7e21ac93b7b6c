// The backend exchange of an upgrade: connect to an endpoint first (a refused or slow one is
// retried on another while the client waits), then hand the connected socket to
// http-proxy-3's ws(), which sends the upgrade request and relays the backend's answer. The
// respond stage adds its headers to the 101 just before it is written.

import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import type { Logger } from 'pino';
import type { EndpointHealth } from '../balancer/health.js';
import type { EndpointLoad } from '../balancer/load.js';
import type { RequestContext } from '../pipeline/context.js';
import type { RoutingTable } from '../routing/table.js';
import type { Endpoint } from '../routing/types.js';
import { BackendConnectError, ConnectedSocketAgent, connectBackend } from './connect.js';
import type { ConnectionRegistry } from './connections.js';
import { drainIfGone } from './lifecycle.js';
import type { LiveConnection } from './live-connection.js';
import type { ProxyObserver, UpgradeResult } from './observer.js';
import { respondAndClose } from './respond.js';

export interface UpgradeExchangeDeps {
  proxy: ProxyServer;
  log: Logger;
  load: EndpointLoad;
  health: EndpointHealth;
  connections: ConnectionRegistry;
  observer: ProxyObserver;
  table: () => RoutingTable;
  respond: (ctx: RequestContext, headers: http.IncomingHttpHeaders) => void;
}

interface Pending {
  ctx: RequestContext;
  opened: () => void;
  /** Status of a non-101 answer from the backend. */
  rejectedStatus: number;
}

export class UpgradeExchanges {
  /** Backend socket -> its exchange, to recognise http-proxy-3's `open` event. */
  private readonly byBackend = new Map<net.Socket, Pending>();
  private readonly byRequest = new WeakMap<http.IncomingMessage, Pending>();

  constructor(private readonly d: UpgradeExchangeDeps) {
    d.proxy.on('open', (backend: net.Socket) => {
      const p = this.byBackend.get(backend);
      if (p) {
        this.byBackend.delete(backend);
        p.opened();
      }
    });
    d.proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, req: http.IncomingMessage) => {
      const p = this.byRequest.get(req);
      if (!p) return;
      // Registered before http-proxy-3's own listener: runs just before the 101 is written.
      proxyReq.once('upgrade', (proxyRes: http.IncomingMessage) => d.respond(p.ctx, proxyRes.headers));
      // Backends that answer the upgrade with a 5xx count as failed handshakes for passive health.
      proxyReq.once('response', (res: http.IncomingMessage) => (p.rejectedStatus = res.statusCode ?? 0));
    });
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
      this.forward(ctx, socket, head, endpoint, backend);
      return;
    }
    ctx.endpoint = undefined;
    if (lastError?.kind === 'timeout') return this.finish(ctx, socket, 'timeout', 504, 'backend connect timed out');
    return this.finish(ctx, socket, 'backend_error', 502, 'no backend accepted the connection');
  }

  private report(ctx: RequestContext, result: UpgradeResult): void {
    this.d.observer.upgrade(ctx.route ?? null, result, (performance.now() - ctx.started) / 1000);
  }

  private finish(ctx: RequestContext, socket: Duplex, result: UpgradeResult, status: number, message: string): void {
    this.report(ctx, result);
    respondAndClose(socket, status, message);
  }

  private forward(ctx: RequestContext, socket: Duplex, head: Buffer, endpoint: Endpoint, backend: net.Socket): void {
    const { d } = this;
    const route = ctx.route!;
    const req = ctx.req;
    d.load.acquire(endpoint.id);
    let conn: LiveConnection | undefined;
    let reported = false;
    let released = false;
    const report = (result: UpgradeResult) => {
      reported = true;
      this.report(ctx, result);
    };
    const pending: Pending = {
      ctx,
      rejectedStatus: 0,
      opened: () => {
        conn = d.connections.add({
          routeKey: route.key,
          endpointId: endpoint.id,
          client: socket as net.Socket,
          backend,
          requestId: ctx.requestId,
          clientAddress: ctx.client,
        });
        conn.setIdleTimeout(route.timeouts.idleMs);
        conn.setMaxLifetime(route.timeouts.maxLifetimeMs);
        d.health.succeed(endpoint.id);
        // The endpoint may have left the table while this upgrade was in flight.
        drainIfGone(conn, d.table());
        report('ok');
        d.observer.opened(conn);
      },
    };
    const release = () => {
      if (released) return;
      released = true;
      d.load.release(endpoint.id);
      this.byBackend.delete(backend);
      // Closed before any 101: the backend answered with a plain HTTP response, relayed as is.
      if (!reported) {
        report('backend_rejected');
        if (pending.rejectedStatus >= 500) {
          d.health.fail(endpoint.id);
          d.observer.ejected(route, endpoint.id);
        }
      }
      if (conn && d.connections.delete(conn)) d.observer.closed(conn);
    };
    backend.once('close', release);
    socket.once('close', release);
    this.byBackend.set(backend, pending);
    this.byRequest.set(req, pending);

    d.proxy.ws(
      req,
      socket,
      head,
      {
        target: { protocol: 'http:', host: endpoint.host, port: endpoint.port },
        agent: new ConnectedSocketAgent(backend),
      },
      (err) => {
        if (conn) {
          d.log.debug({ err: String(err), route: route.key, endpoint: endpoint.id }, 'backend socket error');
          return;
        }
        // The backend failed after connecting but before the 101: the client gets a 502.
        d.log.warn({ err: String(err), route: route.key, endpoint: endpoint.id }, 'backend failed during handshake');
        if (!reported) {
          report('backend_error');
          d.health.fail(endpoint.id);
          d.observer.ejected(route, endpoint.id);
          respondAndClose(socket, 502, 'backend failed during the WebSocket handshake');
        }
      },
    );
  }
}
