// Wires one process: proxy listener, admin listener, metrics, and the table swap every route
// source (file or Kubernetes) feeds. Sources call applyRoutes; nothing else swaps the table.

import type { Logger } from 'pino';
import { AdminServer } from './admin/server.js';
import type { WebSocketRoute } from './api/types.js';
import { metricsObserver } from './metrics/proxy-observer.js';
import { Metrics } from './metrics/registry.js';
import { recordTable } from './metrics/table-metrics.js';
import { WebSocketProxy } from './proxy/server.js';
import { compile, type CompileOutput } from './routing/compile.js';
import type { ServiceResolver } from './routing/types.js';

export interface GatewayOptions {
  logger: Logger;
  maxHeaderSize?: number;
  /** Per-endpoint metric series (off for very large fleets). */
  endpointMetrics?: boolean;
}

export interface HostPort {
  host: string;
  port: number;
}

export class Gateway {
  readonly metrics = new Metrics();
  readonly proxy: WebSocketProxy;
  readonly admin: AdminServer;
  private readonly log: Logger;
  private version = 0;
  private synced = false;
  private stopping = false;
  private readonly observer: ReturnType<typeof metricsObserver>;

  constructor(opts: GatewayOptions) {
    this.log = opts.logger;
    this.observer = metricsObserver(this.metrics, opts.logger, { endpointMetrics: opts.endpointMetrics ?? true });
    this.proxy = new WebSocketProxy({
      logger: opts.logger,
      observer: this.observer,
      maxHeaderSize: opts.maxHeaderSize,
    });
    this.admin = new AdminServer(this.metrics.registry, {
      ready: () => this.synced && !this.stopping,
      notReadyReason: () => (this.stopping ? 'shutting down' : 'waiting for the first routing table'),
      debugRoutes: () => this.debugRoutes(),
    });
  }

  /** Compiles and swaps in a new table. Pure compile, then one assignment: atomic for the proxy. */
  applyRoutes(routes: readonly WebSocketRoute[], resolveService?: ServiceResolver): CompileOutput {
    const out = compile({ routes, resolveService, version: ++this.version });
    this.proxy.setTable(out.table);
    this.synced = true;
    recordTable(this.metrics, out.table, out.statuses);
    this.observer.pruneEndpointSeries(out.table);
    for (const s of out.statuses.values()) {
      if (s.accepted.status !== 'True') {
        this.log.warn({ route: s.key, reason: s.accepted.reason }, `route not accepted: ${s.accepted.message}`);
      }
    }
    this.log.info({ version: out.table.version, routes: out.table.routes.length }, 'routing table updated');
    return out;
  }

  async start(listen: HostPort, adminListen: HostPort): Promise<{ proxy: HostPort; admin: HostPort }> {
    const admin = await this.admin.listen(adminListen.host, adminListen.port);
    const proxy = await this.proxy.listen(listen.host, listen.port);
    this.log.info({ proxy: `${proxy.address}:${proxy.port}`, admin: `${admin.address}:${admin.port}` }, 'listening');
    return { proxy: { host: proxy.address, port: proxy.port }, admin: { host: admin.address, port: admin.port } };
  }

  /**
   * SIGTERM: /readyz fails at once, the listener stops accepting, connections get `graceMs`
   * to finish, then a 1001 close; the admin listener closes last.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.log.info({ graceMs, connections: this.proxy.connections.size }, 'shutting down');
    await this.proxy.shutdown(graceMs);
    await this.admin.close();
  }

  /** Immediate stop (tests, fatal errors). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.proxy.close();
    await this.admin.close();
  }

  private debugRoutes(): unknown {
    const table = this.proxy.getTable();
    const ejected = this.proxy.health.snapshot();
    return {
      version: table.version,
      ejected,
      routes: table.routes.map((r) => ({
        key: r.key,
        hosts: r.hosts,
        path: r.path.source,
        subprotocols: r.subprotocols,
        headers: r.headers,
        backendPath: r.backend.path.source,
        scheme: r.backend.scheme,
        policy: r.policy,
        endpoints: r.backend.endpoints.map((e) => ({
          id: e.id,
          ready: e.ready,
          terminating: e.terminating,
          active: this.proxy.load.get(e.id),
          ejected: e.id in ejected,
        })),
      })),
    };
  }
}
