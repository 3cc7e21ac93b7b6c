// The data plane: an HTTP server whose `upgrade` handler routes through the current table
// snapshot and proxies with http-proxy-3 to an endpoint the route's balancer picks.

import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer, type ProxyServer as HttpProxy } from 'http-proxy-3';
import type { Logger } from 'pino';
import { EndpointLoad } from '../balancer/load.js';
import { hashKey } from '../balancer/hash-key.js';
import { EndpointHealth } from '../balancer/health.js';
import { pickEndpoint } from '../balancer/pick.js';
import { RoutingTable, type RouteMatch } from '../routing/table.js';
import { renderTemplate } from '../routing/template.js';
import type { CompiledRoute, Endpoint } from '../routing/types.js';
import { BackendConnectError, ConnectedSocketAgent, connectBackend } from './connect.js';
import { ConnectionRegistry } from './connections.js';
import { applyDrain, drainIfGone, rebalanceOnce } from './lifecycle.js';
import type { LiveConnection } from './live-connection.js';
import { checkHandshake, checkPath, hostWithoutPort, offeredSubprotocols } from './handshake.js';
import { respondAndClose } from './respond.js';
import { forwardedHeaders } from './forwarded.js';
import { allowAll, type UpgradeGuard } from './guard.js';
import type { ProxyObserver, UpgradeResult } from './observer.js';
import { noopObserver } from './observer.js';

export interface ProxyServerOptions {
  logger: Logger;
  observer?: ProxyObserver;
  /** Security checks on each routed upgrade (origin, auth, limits). */
  guard?: UpgradeGuard;
  /** Largest request head accepted, in bytes; larger ones get 431. */
  maxHeaderSize?: number;
  /** How many endpoints one upgrade tries before answering 502. */
  maxAttempts?: number;
}

export class WebSocketProxy {
  readonly server: http.Server;
  readonly load = new EndpointLoad();
  readonly connections = new ConnectionRegistry();
  readonly health = new EndpointHealth();
  private readonly rebalanceTimer: NodeJS.Timeout;
  private shuttingDown = false;
  private table = RoutingTable.empty();
  private readonly proxy: HttpProxy;
  private readonly cursors = new Map<string, number>();
  private readonly observer: ProxyObserver;
  private readonly guard: UpgradeGuard;
  private readonly log: Logger;
  private readonly maxAttempts: number;
  /** Backend socket -> connection, to recognise http-proxy-3's `open` event. */
  private readonly pending = new Map<net.Socket, () => void>();

  constructor(opts: ProxyServerOptions) {
    this.log = opts.logger;
    this.observer = opts.observer ?? noopObserver;
    this.guard = opts.guard ?? allowAll;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.proxy = createProxyServer({ ws: true, xfwd: false, prependPath: false });
    // Without an error listener http-proxy-3 throws; per-call callbacks handle each error.
    this.proxy.on('error', (err) => this.log.debug({ err }, 'proxy error'));
    this.proxy.on('open', (backend: net.Socket) => {
      const opened = this.pending.get(backend);
      if (opened) {
        this.pending.delete(backend);
        opened();
      }
    });
    this.server = http.createServer({ maxHeaderSize: opts.maxHeaderSize ?? 16384 });
    this.server.on('request', (req, res) => this.onPlainRequest(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(req, socket, head).catch((err: unknown) => {
        this.log.error({ err }, 'upgrade handler failed');
        respondAndClose(socket, 500, 'internal error');
      });
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
    // Backends that answer the upgrade with a 5xx count as failed handshakes for passive health.
    this.proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, req: http.IncomingMessage) => {
      proxyReq.once('response', (res: http.IncomingMessage) => this.rejectedStatus.set(req, res.statusCode ?? 0));
    });
    this.rebalanceTimer = setInterval(() => rebalanceOnce(this.connections, this.table), 1000);
    this.rebalanceTimer.unref();
  }

  private readonly rejectedStatus = new WeakMap<http.IncomingMessage, number>();

  /**
   * Atomically replaces the routing snapshot. Established connections stay; only those whose
   * endpoint left start draining (and stop again if it comes back).
   */
  setTable(table: RoutingTable): void {
    const previous = this.table;
    this.table = table;
    applyDrain(this.connections, table, previous);
    const ids = new Set<string>();
    for (const r of table.routes) for (const e of r.backend.endpoints) ids.add(e.id);
    this.health.retain(ids);
  }

  getTable(): RoutingTable {
    return this.table;
  }

  listen(host: string, port: number): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /**
   * Graceful shutdown: stop accepting at once, let connections run for `graceMs`, then close
   * each with 1001 at a frame boundary; resolves when all are gone (bounded).
   */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.rebalanceTimer);
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Idle keep-alive HTTP connections would hold server.close() open.
    this.server.closeIdleConnections();
    await this.whenEmpty(graceMs);
    for (const c of this.connections.all()) c.close('shutdown');
    if (!(await this.whenEmpty(6000))) {
      for (const c of this.connections.all()) {
        c.client.destroy();
        c.backend.destroy();
      }
    }
    this.server.closeAllConnections();
    await listenerClosed;
    this.proxy.close();
  }

  /** Ends everything at once (tests, fatal errors). */
  async close(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.rebalanceTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections.all()) {
      c.client.destroy();
      c.backend.destroy();
    }
    this.server.closeAllConnections();
    await closed;
    this.proxy.close();
  }

  /** Resolves true once no connection is left, or false after `ms`. */
  private whenEmpty(ms: number): Promise<boolean> {
    if (this.connections.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = setInterval(() => {
        if (this.connections.size === 0) done(true);
      }, 50);
      const timer = setTimeout(() => done(false), ms);
      const done = (empty: boolean) => {
        clearInterval(check);
        clearTimeout(timer);
        resolve(empty);
      };
    });
  }

  private onPlainRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const match = this.lookup(req);
    const status = match ? 426 : 404;
    const body = match ? 'this route only accepts WebSocket upgrades\n' : 'no route\n';
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (match) {
      headers.Upgrade = 'websocket';
      headers.Connection = 'Upgrade';
      headers['Sec-WebSocket-Version'] = '13';
    }
    res.writeHead(status, headers).end(body);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      respondAndClose(socket, 431, 'request header fields too large');
      return;
    }
    respondAndClose(socket, 400, 'malformed HTTP request');
  }

  private lookup(req: http.IncomingMessage): RouteMatch | null {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return this.table.lookup({
      host: hostWithoutPort(req.headers.host ?? ''),
      path: q === -1 ? url : url.slice(0, q),
      subprotocols: offeredSubprotocols(req),
      header: (name) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(', ') : v;
      },
    });
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = performance.now();
    socket.on('error', (err) => this.log.debug({ err }, 'client socket error before upgrade'));
    const finish = (result: UpgradeResult, route: CompiledRoute | null, status: number, message: string, headers?: Record<string, string>) => {
      this.observer.upgrade(route, result, (performance.now() - started) / 1000);
      respondAndClose(socket, status, message, headers);
    };

    if (this.shuttingDown) return finish('shutting_down', null, 503, 'proxy is shutting down', { Connection: 'close' });
    const rejection = checkHandshake(req);
    if (rejection) return finish('bad_request', null, rejection.status, rejection.message, rejection.headers);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathProblem = checkPath(q === -1 ? url : url.slice(0, q));
    if (pathProblem) return finish('bad_request', null, 400, pathProblem);

    const match = this.lookup(req);
    if (!match) return finish('no_route', null, 404, 'no route for this host and path');
    const { route } = match;
    if (route.backend.eligible.length === 0) {
      return finish('no_endpoints', route, 503, `route ${route.key} has no ready endpoints`, { 'Retry-After': '1' });
    }

    const verdict = await this.guard.check(route, req);
    if (!verdict.ok) return finish(verdict.result, route, verdict.status, verdict.message, verdict.headers);
    if (verdict.headers) Object.assign(req.headers, verdict.headers);
    // Per-client counters live as long as the client socket, whatever the outcome.
    if (verdict.release) socket.once('close', verdict.release);

    const tried = new Set<string>();
    const key = route.policy === 'ConsistentHash' ? hashKey(route.hashOn, req, req.socket.remoteAddress ?? '') : undefined;
    let lastError: BackendConnectError | undefined;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const endpoint = this.pick(route, tried, key);
      if (!endpoint) break;
      tried.add(endpoint.id);
      let backend: net.Socket;
      try {
        backend = await connectBackend(endpoint, { timeoutMs: route.timeouts.connectMs, tls: route.backend.tls });
      } catch (err) {
        if (!(err instanceof BackendConnectError)) throw err;
        lastError = err;
        const ejectedMs = this.health.fail(endpoint.id);
        this.observer.ejected(route, endpoint.id);
        this.log.warn({ route: route.key, endpoint: endpoint.id, reason: err.kind, ejectedMs }, 'backend connect failed; endpoint ejected');
        if (socket.destroyed) return;
        continue;
      }
      if (socket.destroyed) {
        backend.destroy();
        this.observer.upgrade(route, 'client_gone', (performance.now() - started) / 1000);
        return;
      }
      this.forward(req, socket, head, match, endpoint, backend, started);
      return;
    }
    if (lastError?.kind === 'timeout') return finish('timeout', route, 504, 'backend connect timed out');
    return finish('backend_error', route, 502, 'no backend accepted the connection');
  }

  private pick(route: CompiledRoute, tried: ReadonlySet<string>, key: string | undefined): Endpoint | undefined {
    const cursor = (this.cursors.get(route.key) ?? 0) + 1;
    this.cursors.set(route.key, cursor);
    return pickEndpoint(route, {
      load: this.load,
      exclude: tried,
      isEjected: (id) => this.health.isEjected(id),
      cursor,
      random: Math.random,
      hashKey: key,
    });
  }

  private forward(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    match: RouteMatch,
    endpoint: Endpoint,
    backend: net.Socket,
    started: number,
  ): void {
    const { route, params } = match;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    req.url = renderTemplate(route.backend.path, params) + (q === -1 ? '' : url.slice(q));
    Object.assign(req.headers, forwardedHeaders(req));

    this.load.acquire(endpoint.id);
    let conn: LiveConnection | undefined;
    let reported = false;
    let released = false;
    const report = (result: UpgradeResult) => {
      reported = true;
      this.observer.upgrade(route, result, (performance.now() - started) / 1000);
    };
    const release = () => {
      if (released) return;
      released = true;
      this.load.release(endpoint.id);
      this.pending.delete(backend);
      // Closed before any 101: the backend answered with a plain HTTP response, relayed as is.
      if (!reported) {
        report('backend_rejected');
        if ((this.rejectedStatus.get(req) ?? 0) >= 500) {
          this.health.fail(endpoint.id);
          this.observer.ejected(route, endpoint.id);
        }
      }
      if (conn && this.connections.delete(conn)) this.observer.closed(conn);
    };
    backend.once('close', release);
    socket.once('close', release);

    this.pending.set(backend, () => {
      const requestId = req.headers['x-request-id'];
      conn = this.connections.add({ routeKey: route.key, endpointId: endpoint.id, client: socket as net.Socket, backend, requestId: typeof requestId === 'string' ? requestId : undefined });
      conn.setIdleTimeout(route.timeouts.idleMs);
      conn.setMaxLifetime(route.timeouts.maxLifetimeMs);
      this.health.succeed(endpoint.id);
      // The endpoint may have left the table while this upgrade was in flight.
      drainIfGone(conn, this.table);
      report('ok');
      this.observer.opened(conn);
    });

    this.proxy.ws(
      req,
      socket,
      head,
      {
        target: { protocol: 'http:', host: endpoint.host, port: endpoint.port },
        agent: new ConnectedSocketAgent(backend),
      },
      (err) => {
        if (conn) {
          this.log.debug({ err: String(err), route: route.key, endpoint: endpoint.id }, 'backend socket error');
          return;
        }
        // The backend failed after connecting but before the 101: the client gets a 502.
        this.log.warn({ err: String(err), route: route.key, endpoint: endpoint.id }, 'backend failed during handshake');
        if (!reported) {
          report('backend_error');
          this.health.fail(endpoint.id);
          this.observer.ejected(route, endpoint.id);
          respondAndClose(socket, 502, 'backend failed during the WebSocket handshake');
        }
      },
    );
  }
}
