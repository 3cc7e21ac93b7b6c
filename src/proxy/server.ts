// The data plane: one HTTP server whose upgrades and plain requests pass the same named stages
//   lookup -> admit -> choose endpoint -> backend exchange -> respond -> observe
// over the current table snapshot, carried by one RequestContext. Upgrades are written by
// wsgate itself on a pre-connected backend socket (upgrade-exchange.ts); plain requests go
// through http-proxy-3's web() on pooled keep-alive agents (routes opt in with spec.http;
// HTTPRoute entries take every method). Gateway sockets (gateway-sockets.ts) get servers of
// their own from serverFor(), with the same stages; each request carries its socket's key.

import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer, type ProxyServer as HttpProxy } from 'http-proxy-3';
import type { Logger } from 'pino';
import { EndpointLoad } from '../balancer/load.js';
import { EndpointHealth } from '../balancer/health.js';
import type { RouteCursors } from '../balancer/cursors.js';
import { affinityValue, type AffinityCodec } from '../balancer/affinity.js';
import { RequestContext, type Admission, type RequestKind, type Verdict } from '../pipeline/context.js';
import { addCorsHeaders, allowedOrigin, isPreflight, preflightHeaders } from '../routing/cors.js';
import { MAIN_LISTENER, type GatewayRouting, type WeightedBackend } from '../routing/gateway-types.js';
import { RoutingTable, type RouteMatch } from '../routing/table.js';
import type { CompiledRoute } from '../routing/types.js';
import { DEFAULT_PATH_OPTIONS, hostWithoutPort, normalizeHost, normalizeTarget, targetString, type PathOptions, type TargetRefusal } from '../routing/request-target.js';
import { rewriteTarget } from '../routing/template.js';
import { BackendAgents } from './agents.js';
import { EndpointChooser } from './choose.js';
import { ConnectionRegistry } from './connections.js';
import { checkHandshake, offeredSubprotocols } from './handshake.js';
import { modifyHead, modifyHeaders, pickWeighted, redirectLocation, rewrittenTarget } from './gateway-http.js';
import { HttpExchanges } from './http-exchange.js';
import { mirrorable, sendMirrors } from './mirror.js';
import { OverloadGate, SHED_TICK_MS, type OverloadOptions } from './overload-gate.js';
import { applyDrain } from './lifecycle.js';
import { rebalanceOnce } from './rebalance.js';
import type { ProxyObserver, UpgradeResult } from './observer.js';
import { noopObserver } from './observer.js';
import { requestFraming } from './request-framing.js';
import { plainRefusal, respondAndClose } from './respond.js';
import { owe, owedOn, settled } from './responses-in-flight.js';
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
  private readonly upgrades: UpgradeExchanges;
  private readonly plain: HttpExchanges;
  private readonly observer: ProxyObserver;
  private readonly admission: Admission;
  private readonly log: Logger;
  private readonly maxAttempts: number;
  private readonly maxHeaderSize: number | undefined;
  private readonly random: () => number;
  private readonly paths: PathOptions;
  /** Servers of Gateway sockets (besides `server`): shutdown and close end their connections too. */
  private readonly gatewayServers = new Set<http.Server>();
  /** One listener for every client socket (a closure per upgrade would keep its request alive). */
  private readonly onClientSocketError: (err: Error) => void;

  constructor(opts: ProxyServerOptions) {
    this.log = opts.logger;
    this.observer = opts.observer ?? noopObserver;
    this.admission = opts.admission ?? admitAll;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.maxHeaderSize = opts.maxHeaderSize;
    this.random = opts.random ?? Math.random;
    this.paths = opts.paths ?? DEFAULT_PATH_OPTIONS;
    this.load = opts.load ?? new EndpointLoad();
    this.health = opts.health ?? new EndpointHealth();
    this.chooser = new EndpointChooser(this.load, this.health, opts.affinity, opts.cursors);
    this.proxy = createProxyServer({ ws: true, xfwd: false, prependPath: false, toProxy: true });
    // Without an error listener http-proxy-3 throws; per-call callbacks handle each error.
    this.proxy.on('error', (err) => this.log.debug({ err }, 'proxy error'));
    this.upgrades = new UpgradeExchanges({
      log: this.log,
      load: this.load,
      health: this.health,
      connections: this.connections,
      observer: this.observer,
      table: () => this.table,
      respond: (ctx, head) => this.respond(ctx, head),
    });
    this.onClientSocketError = (err: Error) => this.log.debug({ err }, 'client socket error');
    this.plain = new HttpExchanges(this.proxy, this.agents, this.load);
    this.server = this.createServer(MAIN_LISTENER);
    if (opts.rebalance !== false) {
      this.rebalanceTimer = setInterval(() => rebalanceOnce(this.connections, this.table), 1000);
      this.rebalanceTimer.unref();
    }
    if (opts.overload) {
      const gate = new OverloadGate(opts.overload, (action, n) => this.observer.overloadAction(action, n));
      this.overload = gate;
      this.shedTimer = setInterval(() => gate.shed(this.connections), SHED_TICK_MS);
      this.shedTimer.unref();
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

  private createServer(listener: string): http.Server {
    const server = http.createServer({ maxHeaderSize: this.maxHeaderSize ?? 16384 });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.onRequest(req, res, listener).catch((err: unknown) => {
        this.log.error({ err }, 'request handler failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('internal error\n');
        else res.destroy();
      });
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(req, socket, head, listener).catch((err: unknown) => {
        this.log.error({ err }, 'upgrade handler failed');
        respondAndClose(socket, 500, 'internal error');
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
    return server;
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

  // --- the stages ------------------------------------------------------------------------------

  /**
   * normalise: the request target and Host replaced by their normal forms (routing/
   * request-target.ts) before anything reads them, so lookup, rewrites, redirects and the
   * backend all see one path and one host. ctx.originalUrl keeps what the client sent (logs).
   */
  private normalise(ctx: RequestContext): TargetRefusal | null {
    const req = ctx.req;
    const target = normalizeTarget(req.url ?? '/', this.paths);
    if (!target.ok) return target;
    const host = normalizeHost(req.headers.host);
    if (!host.ok) return host;
    req.url = targetString(target);
    if (req.headers.host !== undefined) req.headers.host = host.header;
    return null;
  }

  /** lookup: the route for the request's host, path and match conditions, and the path's captures. */
  private lookup(ctx: RequestContext): RouteMatch | null {
    const req = ctx.req;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const match = this.table.lookup({
      host: hostWithoutPort(req.headers.host ?? ''),
      path: q === -1 ? url : url.slice(0, q),
      method: req.method ?? 'GET',
      query: q === -1 ? '' : url.slice(q + 1),
      listener: ctx.listener,
      subprotocols: offeredSubprotocols(req),
      header: (name) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(', ') : v;
      },
    });
    if (match) {
      ctx.route = match.route;
      ctx.params = match.params;
    }
    return match;
  }

  /** admit: security and limits (src/security through the Admission interface). */
  private admit(ctx: RequestContext): Verdict | Promise<Verdict> {
    return this.admission.admit(ctx);
  }

  /** choose endpoint: affinity, balancer, health; records the affinity outcome once. */
  private choose(ctx: RequestContext, tried: ReadonlySet<string>) {
    const first = ctx.affinity === undefined;
    const endpoint = this.chooser.choose(ctx, tried);
    if (first && ctx.affinity !== undefined) this.observer.affinity(ctx.route!, ctx.affinity);
    ctx.endpoint = endpoint;
    return endpoint;
  }

  /**
   * respond: what wsgate changes in the backend's 101 just before it is written: an HTTPRoute's
   * response header modifiers (the rule's, then the chosen backendRef's), then Set-Cookie.
   */
  private respond(ctx: RequestContext, head: Buffer): Buffer | string {
    const affinity = this.chooser.affinityHeaderFor(ctx);
    const gw = ctx.route?.gateway;
    const mods = gw ? [gw.responseHeaders, ctx.gatewayBackend?.responseHeaders] : [];
    if (!affinity && !mods.some(Boolean)) return head;
    return modifyHead(head.toString('latin1'), mods, affinity ? [`${affinity.name}: ${affinity.value}`] : []);
  }

  /**
   * The respond stage on a plain response's parsed headers: the response header modifiers, then
   * the CORS filter's headers (for `corsOrigin`, the allowed Origin of the request as sent).
   */
  private respondPlain(ctx: RequestContext, headers: http.IncomingHttpHeaders, corsOrigin: string | undefined): void {
    const gw = ctx.route?.gateway;
    if (gw) {
      modifyHeaders(headers, gw.responseHeaders);
      modifyHeaders(headers, ctx.gatewayBackend?.responseHeaders);
      if (gw.cors) addCorsHeaders(gw.cors, corsOrigin, headers);
    }
    const affinity = this.chooser.affinityHeaderFor(ctx);
    if (!affinity) return;
    if (affinity.name === 'Set-Cookie') {
      const existing = headers['set-cookie'];
      headers['set-cookie'] = existing ? [...existing, affinity.value] : [affinity.value];
    } else headers[affinity.name.toLowerCase()] = affinity.value;
  }

  // --- HTTPRoute entries ---------------------------------------------------------------------------

  /**
   * An HTTPRoute entry's answer before any backend: its RequestRedirect, or a 500 when the
   * backendRef chosen by weight is invalid (or every weight is 0). Otherwise picks the
   * backendRef and points ctx.route at a view of the route with that backendRef's endpoints,
   * so the balancer, health, retries and counts work on them unchanged.
   */
  private gatewayStage(ctx: RequestContext, gw: GatewayRouting): { status: number; message: string; result: UpgradeResult; headers?: Record<string, string> } | null {
    const req = ctx.req;
    if (gw.redirect) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const location = redirectLocation(gw.redirect, gw.pathMatch, {
        scheme: ctx.secure ? 'https' : 'http',
        host: hostWithoutPort(req.headers.host ?? ''),
        listenerPort: gw.listenerPort ?? req.socket.localPort ?? 0,
        path: q === -1 ? url : url.slice(0, q),
        query: q === -1 ? '' : url.slice(q + 1),
      });
      return { status: gw.redirect.statusCode, message: `redirecting to ${location}`, result: 'redirected', headers: { Location: location } };
    }
    const backend = this.stickyBackend(ctx, gw) ?? pickWeighted(gw.backends, this.random);
    if (!backend?.target) {
      return { status: 500, message: `route ${ctx.route!.key}: ${backend ? 'the chosen backendRef is invalid' : 'no backendRef can take requests'}`, result: 'invalid_backend' };
    }
    ctx.gatewayBackend = backend;
    ctx.route = backendView(ctx.route!, backend);
    return null;
  }

  /**
   * Session affinity across backendRefs: the one whose endpoints hold the endpoint the client's
   * cookie names (the cookie is signed over the route's endpoints, every backendRef's), so the
   * weighted choice does not send a sticky client elsewhere. The chooser then finds that
   * endpoint in the view of this backendRef.
   */
  private stickyBackend(ctx: RequestContext, gw: GatewayRouting): WeightedBackend | undefined {
    const route = ctx.route!;
    if (!route.affinity) return undefined;
    const value = affinityValue(route.affinity, ctx.req.headers);
    const sticky = value === undefined ? undefined : this.chooser.affinity.endpointFor(route, value);
    if (!sticky) return undefined;
    return gw.backends.find((b) => b.weight > 0 && b.target?.eligible.some((e) => e.id === sticky.id));
  }

  /** The request the backend sees: header modifiers (the rule's, then the backendRef's) and URLRewrite. */
  private gatewayRequest(ctx: RequestContext, gw: GatewayRouting): void {
    const req = ctx.req;
    modifyHeaders(req.headers, gw.requestHeaders);
    modifyHeaders(req.headers, ctx.gatewayBackend?.requestHeaders);
    const rewrite = gw.urlRewrite;
    if (rewrite?.hostname !== undefined) req.headers.host = rewrite.hostname;
    req.url = rewrittenTarget(req.url ?? '/', gw.pathMatch, rewrite?.path);
  }

  // --- upgrades ----------------------------------------------------------------------------------

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, listener: string): Promise<void> {
    socket.on('error', this.onClientSocketError);
    // Pipelined behind plain requests: their responses go first (responses-in-flight.ts).
    const earlier = owedOn(req.socket);
    if (earlier > 0) {
      this.log.debug({ client: req.socket.remoteAddress, earlier }, 'upgrade waits for the responses before it on its connection');
      await settled(req.socket);
      // The last of them may have closed the connection (Connection: close, an error).
      if (socket.destroyed || !socket.writable) {
        socket.destroy();
        return;
      }
      // Node armed its keep-alive timeout when the last of them finished; the tunnel has its own timers.
      (socket as net.Socket).setTimeout(0);
    }
    const ctx = this.contextFor('upgrade', req, listener);
    const finish = (result: UpgradeResult, status: number, message: string, headers?: Record<string, string>) => {
      this.observer.upgrade(ctx.route ?? null, result, (performance.now() - ctx.started) / 1000);
      respondAndClose(socket, status, message, headers);
    };

    if (this.shuttingDown) return finish('shutting_down', 503, 'proxy is shutting down', { Connection: 'close' });
    const rejection = checkHandshake(req);
    if (rejection) return finish('bad_request', rejection.status, rejection.message, rejection.headers);
    const badTarget = this.normalise(ctx);
    if (badTarget) return finish('bad_request', badTarget.status, badTarget.message);
    if (this.overload) {
      // First among the costly stages: a refused upgrade costs no lookup, admission or backend.
      const slot = this.overload.upgrade();
      if (typeof slot !== 'function') return finish(slot.result, slot.status, slot.message, slot.headers);
      releaseOnClose(socket, slot);
    }

    if (!this.lookup(ctx)) return finish('no_route', 404, 'no route for this host and path');
    const gw = ctx.route!.gateway;
    if (gw) {
      const answer = this.gatewayStage(ctx, gw);
      if (answer) return finish(answer.result, answer.status, answer.message, answer.headers);
    }
    const route = ctx.route!;
    if (route.backend.eligible.length === 0) {
      return finish('no_endpoints', 503, `route ${route.key} has no ready endpoints`, { 'Retry-After': '1' });
    }
    const verdict = await this.admit(ctx);
    // Per-client counters live as long as the client socket, whatever the outcome.
    const release = ctx.takeRelease();
    if (release) releaseOnClose(socket, release);
    if (!verdict.ok) return finish(verdict.result, verdict.status, verdict.message, verdict.headers);
    if (gw) this.gatewayRequest(ctx, gw);
    else req.url = rewriteTarget(route.backend.path, ctx.params, req.url ?? '/');
    await this.upgrades.run(ctx, socket, head, (tried) => this.choose(ctx, tried), this.maxAttempts);
  }

  // --- plain requests ----------------------------------------------------------------------------

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse, listener: string): Promise<void> {
    // A request the parser read after one refused for its framing, from the same bytes: what
    // it is depends on how that framing was read, so it is not served: the refusal's
    // `Connection: close` ends the connection once the refusal is written.
    if (refusedSockets.has(req.socket)) return;
    // Synchronously, before any await: an upgrade pipelined behind this request waits for it.
    owe(req.socket, res);
    // Node chunks responses to an HTTP/1.0 request that says "TE: chunked"; RFC 9112 6.1 forbids
    // Transfer-Encoding in a response to HTTP/1.0, which reads a body without length to the close.
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) res.useChunkedEncodingByDefault = false;
    const ctx = this.contextFor('http', req, listener);
    const bytesInAtStart = req.socket.bytesRead;
    const bytesOutAtStart = req.socket.bytesWritten;
    res.once('close', () => {
      this.observer.httpRequest({
        route: ctx.route ?? null,
        method: req.method ?? '',
        status: res.writableFinished ? res.statusCode : 499,
        seconds: (performance.now() - ctx.started) / 1000,
        endpointId: ctx.endpoint?.id,
        client: ctx.client,
        requestId: ctx.requestId,
        path: pathOf(ctx.originalUrl),
        bytesIn: req.socket.bytesRead - bytesInAtStart,
        bytesOut: req.socket.bytesWritten - bytesOutAtStart,
      });
    });
    const refuse = (status: number, message: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(message + '\n');
    };

    const framing = requestFraming(req);
    if (!framing.ok) {
      refusedSockets.add(req.socket);
      this.log.info({ client: req.socket.remoteAddress, status: framing.status }, `request refused: ${framing.message}`);
      return refuse(framing.status, framing.message, { Connection: 'close' });
    }
    if (this.shuttingDown) return refuse(503, 'proxy is shutting down', { Connection: 'close' });
    const badTarget = this.normalise(ctx);
    if (badTarget) return refuse(badTarget.status, badTarget.message);
    const bodyRefusal = this.overload?.plainBody(req);
    if (bodyRefusal) return refuse(bodyRefusal.status, bodyRefusal.message, { ...bodyRefusal.headers, Connection: 'close' });
    if (!this.lookup(ctx)) return refuse(404, 'no route');
    const gw = ctx.route!.gateway;
    // A CORS preflight is answered by wsgate, before a redirect, the backend choice and
    // admission: it carries no credentials (Fetch standard), so authentication would refuse
    // it, and it reveals only the route's CORS settings.
    if (gw?.cors && isPreflight(req.method, req.headers)) return void res.writeHead(204, preflightHeaders(gw.cors, req.headers)).end();
    // Taken before the RequestHeaderModifiers run: the CORS answer is to the Origin the client sent.
    const corsOrigin = gw?.cors ? allowedOrigin(gw.cors, req.headers) : undefined;
    if (gw) {
      const answer = this.gatewayStage(ctx, gw);
      if (answer) return refuse(answer.status, answer.message, answer.headers);
    } else {
      const refusal = plainRefusal(ctx.route!, req.method ?? '');
      if (refusal) return refuse(refusal.status, refusal.message, refusal.headers);
    }
    const route = ctx.route!;
    if (route.backend.eligible.length === 0) return refuse(503, `route ${route.key} has no ready endpoints`, { 'Retry-After': '1' });
    const verdict = await this.admit(ctx);
    if (!verdict.ok) return refuse(verdict.status, verdict.message, verdict.headers);
    // The client went away, or the parser refused what followed the head (a malformed body in
    // the same bytes): nothing is sent to a backend.
    if (res.destroyed || req.socket.destroyed || refusedSockets.has(req.socket)) return;
    if (gw) this.gatewayRequest(ctx, gw);
    else req.url = rewriteTarget(route.backend.path, ctx.params, req.url ?? '/');
    // Copies of the request as its backend sees it; they never hold up the request itself.
    if (gw?.mirrors && mirrorable(framing.framing)) sendMirrors(req, gw.mirrors, this.agents, this.random, this.log);

    this.plain.run(
      ctx,
      framing.framing,
      res,
      {
        choose: (tried) => this.choose(ctx, tried),
        response: (endpoint, proxyRes) => {
          this.respondPlain(ctx, proxyRes.headers, corsOrigin);
          // Backend 5xx count for passive health as failed handshakes do; anything else is a sign of life.
          if ((proxyRes.statusCode ?? 0) >= 500) this.eject(route, endpoint.id, `answered ${proxyRes.statusCode}`);
          else this.health.succeed(endpoint.id);
        },
        failed: (endpoint, failure, err, retrying) => {
          if (failure === 'refused' || failure === 'connect_timeout') this.eject(route, endpoint.id, failure);
          this.log.warn({ route: route.key, endpoint: endpoint.id, failure, err: String(err), retrying, requestId: ctx.requestId }, 'plain request to backend failed');
        },
      },
      this.maxAttempts,
      gw ? { requestMs: gw.requestTimeoutMs, backendRequestMs: gw.backendRequestTimeoutMs } : {},
    );
  }

  private eject(route: NonNullable<RequestContext['route']>, endpointId: string, why: string): void {
    const ejectedMs = this.health.fail(endpointId);
    this.observer.ejected(route, endpointId);
    this.log.warn({ route: route.key, endpoint: endpointId, reason: why, ejectedMs }, 'endpoint ejected');
  }

  private contextFor(kind: RequestKind, req: http.IncomingMessage, listener: string): RequestContext {
    return new RequestContext(kind, req, req.socket.remoteAddress ?? '', listener);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    refusedSockets.add(socket);
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
}

/**
 * Client sockets that sent a request refused for its framing, or bytes the parser refused:
 * nothing more is served on them (a request already parsed is not forwarded either).
 */
const refusedSockets = new WeakSet<object>();

const kRelease = Symbol('wsgate.release');
type ReleasingSocket = Duplex & { [kRelease]?: Array<() => void> };
/** Shared 'close' listener: gives back what was counted for this client socket (connection slot, admission). */
function runRelease(this: ReleasingSocket): void {
  const fns = this[kRelease];
  this[kRelease] = undefined;
  for (const fn of fns ?? []) fn();
}

/** Runs `release` when the client socket closes (at once if it is gone already). */
function releaseOnClose(socket: Duplex, release: () => void): void {
  if (socket.destroyed) return release();
  const s = socket as ReleasingSocket;
  const list = s[kRelease];
  if (list) list.push(release);
  else {
    s[kRelease] = [release];
    socket.on('close', runRelease);
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

const views = new WeakMap<CompiledRoute, Map<WeightedBackend, CompiledRoute>>();

/**
 * The route as the later stages see it once a backendRef is chosen: that backendRef's scheme,
 * endpoints and TLS. One per backendRef of a table (cached), so round-robin cursors (by route
 * key), hash rings and shared counts (by endpoint id) behave as for any route.
 */
function backendView(route: CompiledRoute, backend: WeightedBackend): CompiledRoute {
  let forRoute = views.get(route);
  if (!forRoute) views.set(route, (forRoute = new Map()));
  const cached = forRoute.get(backend);
  if (cached) return cached;
  const t = backend.target!;
  const view: CompiledRoute = {
    ...route,
    backend: { ...route.backend, scheme: t.scheme, endpoints: t.endpoints, eligible: t.eligible, ...(t.tls ? { tls: t.tls } : { tls: undefined }) },
  };
  forRoute.set(backend, view);
  return view;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}
