// The data plane: one HTTP server whose upgrades and plain requests pass the same named stages
//   lookup -> admit -> choose endpoint -> backend exchange -> respond -> observe
// over the current table snapshot, carried by one RequestContext: one list (stages/index.ts)
// run by one runner (pipeline/runner.ts) from every entry point (http1-entry.ts, and
// http2-entry.ts for the h2 connections the TLS listeners hand over), each with a responder for
// its transport. Upgrades are written by wsgate itself on a pre-connected backend
// socket (upgrade-exchange.ts); plain requests go through http-proxy-3's web() on pooled
// keep-alive agents (routes opt in with spec.http; HTTPRoute entries take every method).
// Gateway sockets (gateway-socket-binder.ts) get servers of their own from serverFor(), with the same
// stages; each request carries its socket's key. This file is the wiring and the lifecycle.

import http from 'node:http';
import type http2 from 'node:http2';
import type net from 'node:net';
import { createProxyServer, type ProxyServer as HttpProxy } from 'http-proxy-3';
import type { Logger } from 'pino';
import { EndpointLoad } from '../balancer/load.js';
import { EndpointHealth } from '../balancer/health.js';
import type { RouteCursors } from '../balancer/cursors.js';
import type { AffinityCodec } from '../balancer/affinity.js';
import { DEFAULT_MAX_HEADER_SIZE } from '../api/defaults.js';
import type { Admission } from '../pipeline/context.js';
import { StageRunner } from '../pipeline/runner.js';
import { MAIN_LISTENER } from '../routing/gateway-types.js';
import { RoutingTable } from '../routing/table.js';
import { DEFAULT_PATH_OPTIONS, type PathOptions } from '../routing/request-target.js';
import { BackendAgents } from './agents.js';
import { EndpointChooser } from './choose.js';
import { ConnectionRegistry } from './connections.js';
import { H2WebSocketEntry } from './h2-websocket/entry.js';
import { Http1Entry } from './http1-entry.js';
import { Http2Entry } from './http2-entry.js';
import { createH2Server, DEFAULT_H2_LIMITS, type H2Limits } from './h2-server.js';
import { H2Sessions } from './h2-sessions.js';
import { HttpExchanges } from './http-exchange.js';
import { OverloadGate, SHED_TICK_MS, type OverloadOptions } from './overload-gate.js';
import { applyDrain } from './lifecycle.js';
import { rebalanceOnce } from './rebalance.js';
import type { ProxyObserver } from './observer.js';
import { noopObserver } from './observer.js';
import { dataPlaneStages } from './stages/index.js';
import { observeRefusal } from './stages/observe.js';
import { respondToHead } from './stages/respond.js';
import { TableDiff } from './table-diff.js';
import { UpgradeExchanges } from './upgrade-exchange.js';

export interface ProxyServerOptions {
  logger: Logger;
  observer?: ProxyObserver;
  /** Security checks on each routed request (origin, auth, limits, the backend's request head). */
  admission?: Admission;
  /** Largest request head accepted, in bytes; larger ones get 431. */
  maxHeaderSize?: number;
  /** How many endpoints one request tries before answering 502. */
  maxAttempts?: number;
  /** Signs and reads session-affinity cookies (the same key on every replica). */
  affinity?: AffinityCodec;
  /** Connection counts and passive health; injected to share them across worker threads. */
  load?: EndpointLoad;
  health?: EndpointHealth;
  /** Round-robin / tie-break cursors per route; injected to share them across worker threads. */
  cursors?: RouteCursors;
  /** False: no rebalancing pass here (worker threads: the main thread plans for every worker). */
  rebalance?: boolean;
  /** Random source of the weighted backendRef choice of HTTPRoute entries (tests seed it). */
  random?: () => number;
  /** --max-connections and the memory overload manager's state (absent: neither). */
  overload?: OverloadOptions;
  /** How request paths are normalised before lookup (--path-* flags). */
  paths?: PathOptions;
  /** --handshake-timeout: an h2 session must open its first stream within it (absent: the idle timeout). */
  handshakeTimeoutMs?: number;
}

const admitAll: Admission = { admit: () => ({ ok: true }) };

export class WebSocketProxy {
  readonly server: http.Server;
  readonly load: EndpointLoad;
  readonly connections = new ConnectionRegistry();
  readonly health: EndpointHealth;
  private readonly rebalanceTimer: NodeJS.Timeout | undefined;
  private readonly overload: OverloadGate | undefined;
  private readonly shedTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private table = RoutingTable.empty();
  private readonly tableDiff = new TableDiff();
  private readonly proxy: HttpProxy;
  private readonly agents = new BackendAgents();
  private readonly chooser: EndpointChooser;
  private readonly observer: ProxyObserver;
  private readonly log: Logger;
  private readonly maxHeaderSize: number | undefined;
  /** Servers of Gateway sockets (besides `server`): shutdown and close end their connections too. */
  private readonly gatewayServers = new Set<http.Server>();
  /** The one stage runner: every entry point (HTTP/1.1 here; h2 ones) runs its requests on it. */
  readonly runner: StageRunner;
  /** The runner's HTTP/1.1 entry points, on every server of this proxy. */
  private readonly http1: Http1Entry;
  /** Its HTTP/2 entry point, on every h2 server of this proxy (h2ServerFor). */
  private readonly http2: Http2Entry;
  /** Every HTTP/2 session of every listener: GOAWAY on shutdown. */
  readonly h2Sessions = new H2Sessions();
  private readonly h2Limits: H2Limits;
  private readonly handshakeTimeoutMs: number | undefined;
  /** The stage runner's entry point for RFC 8441 WebSocket streams. */
  private readonly h2WebSocket: H2WebSocketEntry;

  constructor(opts: ProxyServerOptions) {
    this.log = opts.logger;
    this.observer = opts.observer ?? noopObserver;
    this.maxHeaderSize = opts.maxHeaderSize;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs;
    // One limit for a request head whichever the protocol: --max-header-size.
    this.h2Limits = { ...DEFAULT_H2_LIMITS, maxHeaderListSize: opts.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE };
    this.load = opts.load ?? new EndpointLoad();
    this.health = opts.health ?? new EndpointHealth();
    this.chooser = new EndpointChooser(this.load, this.health, opts.affinity, opts.cursors);
    this.proxy = createProxyServer({ ws: true, xfwd: false, prependPath: false, toProxy: true });
    // Without an error listener http-proxy-3 throws; per-call callbacks handle each error.
    this.proxy.on('error', (err) => this.log.debug({ err }, 'proxy error'));
    if (opts.overload) {
      const gate = new OverloadGate(opts.overload, (action, n) => this.observer.overloadAction(action, n));
      this.overload = gate;
      this.shedTimer = setInterval(() => gate.shed(this.connections), SHED_TICK_MS);
      this.shedTimer.unref();
    }
    const stages = dataPlaneStages({
      log: this.log,
      observer: this.observer,
      admission: opts.admission ?? admitAll,
      paths: opts.paths ?? DEFAULT_PATH_OPTIONS,
      chooser: this.chooser,
      health: this.health,
      overload: this.overload,
      upgrades: new UpgradeExchanges({
        log: this.log,
        load: this.load,
        health: this.health,
        connections: this.connections,
        observer: this.observer,
        table: () => this.table,
        respond: (ctx, head) => respondToHead(this.chooser, ctx, head),
      }),
      plain: new HttpExchanges(this.proxy, this.agents, this.load),
      agents: this.agents,
      maxAttempts: opts.maxAttempts ?? 3,
      random: opts.random ?? Math.random,
      table: () => this.table,
      shuttingDown: () => this.shuttingDown,
    });
    this.runner = new StageRunner(stages, { refused: (ctx, refusal) => observeRefusal(this.observer, ctx, refusal) });
    this.http1 = new Http1Entry(this.runner, this.observer, this.log);
    this.http2 = new Http2Entry(this.runner, this.observer, this.log, (stream, headers, listener) => this.onWebSocketStream(stream, headers, listener));
    this.h2WebSocket = new H2WebSocketEntry(this.runner, this.log);
    this.server = this.createServer(MAIN_LISTENER);
    if (opts.rebalance !== false) {
      this.rebalanceTimer = setInterval(() => rebalanceOnce(this.connections, this.table), 1000);
      this.rebalanceTimer.unref();
    }
  }

  /**
   * Atomically replaces the routing snapshot. Established connections stay; only those whose
   * endpoint left start draining (and stop again if it comes back).
   */
  setTable(table: RoutingTable): void {
    const previous = this.table;
    this.table = table;
    applyDrain(this.connections, table, previous);
    // Per-endpoint and per-route state of what left, so the maps stay bounded.
    const change = this.tableDiff.advance(previous, table);
    this.health.forget(change.goneEndpoints);
    this.agents.retire(change.goneEndpoints);
    this.chooser.forget(change.goneRoutes);
  }

  getTable(): RoutingTable {
    return this.table;
  }

  /**
   * An HTTP server for a Gateway socket: the same stages as `server`, its requests looked up
   * among the routes of `listener`. Its owner listens on it (or emits TLS connections to it);
   * shutdown() and close() end its connections with the main server's.
   */
  serverFor(listener: string): http.Server {
    const server = this.createServer(listener);
    this.gatewayServers.add(server);
    return server;
  }

  /** Forgets a Gateway socket's server once its socket is closed and its last connection ended. */
  retireServer(server: http.Server): void {
    this.gatewayServers.delete(server);
  }

  /**
   * The HTTP/2 server of `listener`: the TLS listener (and, with --h2c, the plain one) hands it
   * the connections that speak h2. Plain requests on it pass the same stages as over HTTP/1.1;
   * RFC 8441 WebSocket streams go to onWebSocketStream.
   */
  h2ServerFor(listener: string): http2.Http2Server {
    // The bounds of an HTTP/1.1 connection: its first request within the handshake timeout, then
    // Node's keepAliveTimeout of the HTTP/1.1 listener between requests.
    const idleMs = this.server.keepAliveTimeout;
    const timeouts = { handshakeMs: this.handshakeTimeoutMs ?? idleMs, idleMs };
    const parts = { limits: this.h2Limits, timeouts, sessions: this.h2Sessions, observer: this.observer, log: this.log };
    return createH2Server(parts, (stream, headers, rawHeaders) => this.http2.onStream(stream, headers, rawHeaders, listener));
  }

  private createServer(listener: string): http.Server {
    const server = http.createServer({ maxHeaderSize: this.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE });
    this.http1.attach(server, listener);
    return server;
  }

  /**
   * An RFC 8441 WebSocket: a stream with `:method CONNECT` and `:protocol websocket` on an
   * HTTP/2 session of `listener`; it runs the stages of an HTTP/1.1 upgrade (h2-websocket/).
   */
  onWebSocketStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, listener: string): void {
    this.h2WebSocket.onStream(stream, headers, listener);
  }

  /** `reusePort`: several listeners (worker threads) share the port; Linux balances between them. */
  listen(host: string, port: number, reusePort = false): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, ...(reusePort ? { reusePort } : {}) }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /**
   * Graceful shutdown: stop accepting at once, then close the open connections with 1001 (at a
   * frame boundary) one after another, evenly over `graceMs`: the k-th of n at grace·k/n, so
   * their clients reconnect to other replicas at n/grace per second rather than all at once.
   * Resolves when all are gone (bounded).
   */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.rebalanceTimer);
    clearInterval(this.shedTimer);
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Idle keep-alive HTTP connections would hold server.close() open.
    this.server.closeIdleConnections();
    for (const s of this.gatewayServers) s.closeIdleConnections();
    await this.closeSpread(graceMs);
    // Upgrades that were in flight when the spread began.
    for (const c of this.connections.list()) c.close('shutdown');
    if (!(await this.whenEmpty(6000))) {
      for (const c of this.connections.all()) {
        c.client.destroy();
        c.backend.destroy();
      }
    }
    // HTTP/2 clients are told to open no more streams once their WebSocket streams are closed;
    // the requests in flight on them get a bounded time to finish.
    await this.h2Sessions.goAway(6000);
    this.server.closeAllConnections();
    for (const s of this.gatewayServers) s.closeAllConnections();
    await listenerClosed;
    this.connections.stop();
    this.agents.closeAll();
    this.proxy.close();
  }

  /** Ends everything at once (tests, fatal errors). */
  async close(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.rebalanceTimer);
    clearInterval(this.shedTimer);
    this.connections.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections.all()) {
      c.client.destroy();
      c.backend.destroy();
    }
    this.h2Sessions.destroyAll();
    this.server.closeAllConnections();
    for (const s of this.gatewayServers) s.closeAllConnections();
    await closed;
    this.agents.closeAll();
    this.proxy.close();
  }

  /** Closes the connections open now with 1001, spread evenly over `graceMs` (oldest first). */
  private closeSpread(graceMs: number): Promise<void> {
    const plan = this.connections.list();
    const n = plan.length;
    if (n === 0) return Promise.resolve();
    const closesPerSecond = graceMs > 0 ? (n * 1000) / graceMs : Infinity;
    this.log.info({ connections: n, graceMs, closesPerSecond: Math.round(closesPerSecond * 10) / 10 }, 'shutdown: closing connections with 1001, spread over the grace');
    const start = performance.now();
    let next = 0;
    return new Promise((resolve) => {
      const step = () => {
        const due = shutdownCloseDue(n, graceMs, performance.now() - start);
        while (next < due) plan[next++]!.close('shutdown');
        if (next >= n || this.connections.size === 0) return resolve();
        // Wakes at the next close, or sooner to notice that every connection ended by itself.
        const wait = shutdownCloseAt(next, n, graceMs) - (performance.now() - start);
        setTimeout(step, Math.min(50, Math.max(1, wait)));
      };
      step();
    });
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
}

/** How many of `n` connections a shutdown spread over `graceMs` has closed `elapsedMs` in (the k-th at grace·k/n). */
export function shutdownCloseDue(n: number, graceMs: number, elapsedMs: number): number {
  if (graceMs <= 0 || elapsedMs >= graceMs) return n;
  return Math.min(n, Math.floor((elapsedMs * n) / graceMs));
}

/** When (ms into the grace) the (i+1)-th close of a spread shutdown is due. */
export function shutdownCloseAt(i: number, n: number, graceMs: number): number {
  return Math.ceil((graceMs * (i + 1)) / n);
}
