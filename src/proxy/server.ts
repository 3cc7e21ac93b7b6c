// The data plane: an HTTP server whose `upgrade` handler routes through the current table
// snapshot and proxies with http-proxy-3 to an endpoint the route's balancer picks.

import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer, type ProxyServer as HttpProxy } from 'http-proxy-3';
import type { Logger } from 'pino';
import { EndpointLoad } from '../balancer/load.js';
import { pickEndpoint } from '../balancer/pick.js';
import { RoutingTable, type RouteMatch } from '../routing/table.js';
import { renderTemplate } from '../routing/template.js';
import type { CompiledRoute, Endpoint } from '../routing/types.js';
import { BackendConnectError, ConnectedSocketAgent, connectBackend } from './connect.js';
import { ConnectionRegistry, type ProxiedConnection } from './connections.js';
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
  }

  /** Atomically replaces the routing snapshot; established connections are not touched. */
  setTable(table: RoutingTable): void {
    this.table = table;
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

  /** Stops accepting and ends every connection at once (shutdown after the drain grace). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections.all()) {
      c.client.destroy();
      c.backend.destroy();
    }
    this.server.closeAllConnections();
    await closed;
    this.proxy.close();
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
    let lastError: BackendConnectError | undefined;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const endpoint = this.pick(route, tried);
      if (!endpoint) break;
      tried.add(endpoint.id);
      let backend: net.Socket;
      try {
        backend = await connectBackend(endpoint, { timeoutMs: route.timeouts.connectMs });
      } catch (err) {
        if (!(err instanceof BackendConnectError)) throw err;
        lastError = err;
        this.log.warn({ route: route.key, endpoint: endpoint.id, reason: err.kind }, 'backend connect failed');
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

  private pick(route: CompiledRoute, tried: ReadonlySet<string>): Endpoint | undefined {
    const cursor = (this.cursors.get(route.key) ?? 0) + 1;
    this.cursors.set(route.key, cursor);
    return pickEndpoint(route, { load: this.load, exclude: tried, cursor, random: Math.random });
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
    let conn: ProxiedConnection | undefined;
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
      if (!reported) report('backend_rejected');
      if (conn && this.connections.delete(conn)) this.observer.closed(conn);
    };
    backend.once('close', release);
    socket.once('close', release);

    this.pending.set(backend, () => {
      conn = this.connections.add({
        routeKey: route.key,
        endpointId: endpoint.id,
        client: socket,
        backend,
        startedAt: Date.now(),
      });
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
        // The backend failed after connecting but before the 101: the client gets a 502.
        this.log.warn({ err, route: route.key, endpoint: endpoint.id }, 'backend failed during handshake');
        if (!conn) {
          report('backend_error');
          respondAndClose(socket, 502, 'backend failed during the WebSocket handshake');
        }
      },
    );
  }
}
