// Wires one process: proxy listener, admin listener, metrics, and the table swap every route
// source (file or Kubernetes) feeds. Sources call applyRoutes; nothing else swaps the table.
// With `workers` > 1 the proxy listeners run in worker threads (src/workers/): this thread keeps
// the control plane (sources, status, admin listener), compiles every table as before (statuses,
// table metrics, /debug/routes) and posts each worker the same snapshot to compile for itself.

import type { Logger } from 'pino';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { AdminServer } from './admin/server.js';
import { randomAffinityKey } from './balancer/affinity.js';
import { AffinityKeyFile, readAffinityKeyFile } from './sources/affinity-key-file.js';
import { recordAffinityKey, type AffinityKeySource } from './metrics/affinity-key.js';
import type { HostOwnership, WebSocketRoute } from './api/types.js';
import { DataPlane, type HostPort, type SecurityOptions } from './workers/data-plane.js';
import { Metrics } from './metrics/registry.js';
import { reportTable } from './metrics/table-metrics.js';
import type { WebSocketProxy } from './proxy/server.js';
import type { SecurityGuard } from './admission/guard.js';
import { compile, type CompileOutput } from './routing/compile.js';
import { MAIN_LISTENER, type GatewayCompileInput } from './routing/gateway-types.js';
import type { CompiledAffinity, SecretResolver, ServiceResolver } from './routing/types.js';
import type { WorkerStats } from './workers/messages.js';
import { WorkerPool } from './workers/pool.js';
import { rebalances } from './balancer/rebalance.js';
import { planAcrossWorkers } from './workers/rebalance.js';
import { allocateCounters } from './workers/shared-layout.js';
import { SharedEndpointHealth } from './workers/shared-endpoint-health.js';
import { SharedEndpointLoad } from './workers/shared-endpoint-load.js';
import { SharedLimiter } from './workers/shared-limiter.js';
import { SlotAllocator } from './workers/slot-allocator.js';
import { asBuffer, compileRecorded, snapshotInput, type TableSnapshot } from './workers/snapshot.js';
import type { OverloadLimits } from './workers/messages.js';
import { CapacityReadiness, waterMarks } from './overload/capacity-readiness.js';
import { OverloadManager, type ManagerOptions } from './overload/manager.js';
import { OverloadState, ProcessCounters } from './overload/process-counters.js';
import { registerOverloadGauges } from './metrics/overload-metrics.js';

export type { HostPort, SecurityOptions } from './workers/data-plane.js';

export interface WsgateProcessOptions {
  logger: Logger;
  maxHeaderSize?: number;
  /** Per-endpoint metric series (off for very large fleets). */
  endpointMetrics?: boolean;
  security?: SecurityOptions;
  /**
   * Signs session-affinity cookies; every replica behind one load balancer needs the same key.
   * Absent (and no affinityKeyFile): a random key made here, shared by this process's worker
   * threads only, until setAffinityKey gives one (a Secret, the snapshot stream).
   */
  affinityKey?: Buffer;
  /** --affinity-key-file: read here, then watched; a changed key applies at once. */
  affinityKeyFile?: string;
  /** --affinity-key-grace: cookies of the previous key stay valid this long after a change (ms). */
  affinityKeyGraceMs?: number;
  /** Data-plane event loops (worker threads sharing the port); 1 or absent: this thread serves. */
  workers?: number;
  /** Log level of the worker threads. */
  logLevel?: string;
  /** Which process this data plane is part of: the metrics it exports differ. */
  role?: 'standalone' | 'controller' | 'proxy';
  /** --max-connections, the readiness marks and the memory overload manager (absent: none of them). */
  overload?: ProcessOverloadOptions;
  /** --host-ownership of the routes this process compiles from its source (a proxy gets it in each snapshot). */
  hostOwnership?: HostOwnership;
}

export interface ProcessOverloadOptions {
  limits: OverloadLimits;
  /** /readyz turns 503 at this fraction of maxConnections... */
  readyHighWater: number;
  /** ...and 200 again at this one. */
  readyLowWater: number;
  /** The memory overload manager; absent: off. */
  manager?: Omit<ManagerOptions, 'counters' | 'onState'>;
}

type Multi = { pool: WorkerPool; slots: SlotAllocator; collector: NodeJS.Timeout; rebalancer: NodeJS.Timeout };

export class WsgateProcess {
  readonly metrics: Metrics;
  readonly admin: AdminServer;
  private readonly plane: DataPlane;
  private readonly multi: Multi | undefined;
  private readonly log: Logger;
  private version = 0;
  private synced = false;
  private stopping = false;
  private readonly security: SecurityOptions;
  private readonly hostOwnership: HostOwnership | undefined;
  private secretResolver: SecretResolver | undefined;
  /** True while the affinity key is the one made at start (no key file, no key given yet). */
  private affinityKeyRandom: boolean;
  private readonly affinityKeyFile: AffinityKeyFile | undefined;
  private warnedRandomKey = false;
  private warnedSlots = false;
  private last: { routes: readonly WebSocketRoute[]; resolveService?: ServiceResolver; gateway?: GatewayCompileInput } | undefined;
  /** The last compile: the next one reuses what did not change (see routing/reuse.ts). */
  private lastOut: CompileOutput | undefined;
  /** Connections of the whole process and the overload state (shared with the workers). */
  readonly counters: ProcessCounters;
  private readonly capacity: CapacityReadiness;
  private readonly overloadManager: OverloadManager | undefined;

  constructor(opts: WsgateProcessOptions) {
    this.log = opts.logger;
    this.metrics = new Metrics({ omit: opts.role === 'proxy' ? ['controller'] : ['proxyStream'] });
    this.security = opts.security ?? {};
    this.hostOwnership = opts.hostOwnership;
    const fileKey = opts.affinityKeyFile !== undefined ? readAffinityKeyFile(opts.affinityKeyFile) : undefined;
    this.affinityKeyRandom = opts.affinityKey === undefined && fileKey === undefined;
    // Made once here, before any worker starts, so every data plane of this process signs alike.
    const affinityKey = opts.affinityKey ?? fileKey ?? randomAffinityKey();
    const affinityKeyGraceMs = opts.affinityKeyGraceMs ?? 0;
    this.affinityKeyFile = opts.affinityKeyFile !== undefined ? new AffinityKeyFile(opts.affinityKeyFile, opts.logger, (key) => this.setAffinityKey(key, 'file')) : undefined;
    const workers = opts.workers ?? 1;
    const overload = opts.overload;
    let counters: ProcessCounters;
    if (workers > 1) {
      const buffers = allocateCounters();
      counters = new ProcessCounters(buffers.process);
      const slots = new SlotAllocator(buffers);
      // This thread's views of the shared counters: /debug/routes reads them, the sweep of idle
      // limiter entries runs here. Its own proxy never listens.
      this.plane = new DataPlane({
        logger: opts.logger,
        metrics: this.metrics,
        endpointMetrics: opts.endpointMetrics,
        security: this.security,
        affinityKey,
        affinityKeyGraceMs,
        load: new SharedEndpointLoad(buffers, slots.slots),
        health: new SharedEndpointHealth(buffers, slots.slots),
        limiter: new SharedLimiter(buffers, { sweepIntervalMs: 10_000 }),
        tls: false,
        rebalance: false,
      });
      const pool = new WorkerPool({
        count: workers,
        log: opts.logger,
        init: {
          logLevel: opts.logLevel ?? opts.logger.level,
          ...(opts.maxHeaderSize !== undefined ? { maxHeaderSize: opts.maxHeaderSize } : {}),
          endpointMetrics: opts.endpointMetrics ?? true,
          security: this.security,
          affinityKey,
          affinityKeyGraceMs,
          buffers,
          ...(overload ? { overload: overload.limits } : {}),
        },
        onFatal: () => {
          // Kubernetes (or the user) restarts the process; a half-counted one would balance wrong.
          process.exit(70);
        },
        onAck: () => this.collectSlots(),
      });
      const collector = setInterval(() => this.collectSlots(), 1000);
      collector.unref();
      // Once a second, as in one thread, but planned over every worker's connections.
      let rebalancing = false;
      const rebalancer = setInterval(() => {
        const table = this.proxy.getTable();
        if (rebalancing || this.stopping || !table.routes.some(rebalances)) return;
        rebalancing = true;
        pool
          .rebalance((counts) => planAcrossWorkers(table, counts))
          .catch((err: unknown) => this.log.error({ err }, 'rebalancing pass failed'))
          .finally(() => (rebalancing = false));
      }, 1000);
      rebalancer.unref();
      this.multi = { pool, slots, collector, rebalancer };
    } else {
      counters = new ProcessCounters();
      this.plane = new DataPlane({
        logger: opts.logger,
        metrics: this.metrics,
        maxHeaderSize: opts.maxHeaderSize,
        endpointMetrics: opts.endpointMetrics,
        security: this.security,
        affinityKey,
        affinityKeyGraceMs,
        ...(overload ? { overload: { ...overload.limits, counters } } : {}),
      });
    }
    this.counters = counters;
    const max = overload?.limits.maxConnections ?? 0;
    this.capacity = new CapacityReadiness(max > 0 ? waterMarks(max, overload!.readyHighWater, overload!.readyLowWater) : undefined);
    if (overload?.manager) {
      this.overloadManager = new OverloadManager({
        ...overload.manager,
        counters,
        onState: (state, pressure) =>
          this.log.warn({ state: OverloadState[state], pressure: Math.round(pressure * 1000) / 1000, connections: counters.connections }, 'memory overload state changed'),
      });
    }
    if (overload) {
      registerOverloadGauges(this.metrics.registry, {
        connections: () => counters.connections,
        maxConnections: max,
        state: () => counters.overloadState,
        pressure: () => this.overloadManager?.pressure ?? 0,
      });
    }
    this.admin = new AdminServer(this.metrics.registry, {
      ready: () => this.synced && !this.stopping && (!this.multi || this.multi.pool.appliedVersion() > 0) && this.capacity.update(this.counters.connections) === 'accepting',
      notReadyReason: () => {
        if (this.stopping) return 'shutting down';
        if (this.capacity.current === 'full') {
          const m = this.capacity.marks!;
          return `at capacity: ${this.counters.connections} connections (not ready from ${m.high}, ready again at ${m.low}); open connections are kept`;
        }
        return 'waiting for the first routing table';
      },
      debugRoutes: () => this.debugRoutes(),
      ...(this.multi ? { metrics: () => this.workerMetrics() } : {}),
    });
  }

  /** The data plane of this thread (with workers: the table and counters /debug/routes shows). */
  get proxy(): WebSocketProxy {
    return this.plane.proxy;
  }

  get guard(): SecurityGuard {
    return this.plane.guard;
  }

  /** Where Secrets come from when applyRoutes is not given a resolver (standalone: --secrets-dir). */
  setSecretResolver(resolver: SecretResolver | undefined): void {
    this.secretResolver = resolver;
  }

  /**
   * A new affinity key (the key file changed, the key Secret changed, or one came over the
   * snapshot stream): every data plane of this process signs with it from now on; cookies of the
   * previous key stay valid for the grace period. Nothing happens when the key is unchanged.
   */
  setAffinityKey(key: Buffer, source: AffinityKeySource): void {
    const first = this.affinityKeyRandom;
    this.affinityKeyRandom = false;
    if (!this.plane.setAffinityKey(key)) return;
    this.multi?.pool.postAffinityKey(key);
    recordAffinityKey(this.metrics, this.log, source, first);
  }

  /** Recompiles the last routes (a Secret changed); nothing when no routes were applied yet. */
  reapply(): CompileOutput | undefined {
    if (!this.last) return undefined;
    return this.applyRoutes(this.last.routes, this.last.resolveService, undefined, this.last.gateway);
  }

  /**
   * Compiles and swaps in a new table. Pure compile, then one assignment: atomic for the proxy.
   * `gateway`: the translated HTTPRoute entries and Gateway sockets, compiled into the same table.
   */
  applyRoutes(routes: readonly WebSocketRoute[], resolveService?: ServiceResolver, resolveSecret?: SecretResolver, gateway?: GatewayCompileInput): CompileOutput {
    this.last = { routes, resolveService, ...(gateway ? { gateway } : {}) };
    const secrets = resolveSecret ?? this.secretResolver;
    const input = { routes, resolveService, resolveSecret: secrets, version: ++this.version, ...(gateway ? { gateway } : {}), ...(this.hostOwnership ? { hostOwnership: this.hostOwnership } : {}) };
    if (!this.multi) return this.swap(compile(input, this.lastOut), secrets);
    // The workers compile the same routes with the answers the resolvers gave here.
    const { out, snapshot } = compileRecorded(input, this.lastOut, this.security.tlsDefaultSecret ? [this.security.tlsDefaultSecret] : []);
    this.postToWorkers(out, snapshot);
    return this.swap(out, secrets);
  }

  /**
   * Split mode (`wsgate proxy`): a table from the controller's snapshot stream, compiled here as a
   * worker thread compiles one (the controller's version, its resolvers' recorded answers), then
   * posted on to this process's workers unchanged.
   */
  applySnapshot(snapshot: TableSnapshot): CompileOutput {
    // The controller's key comes first: cookies set for this table are signed with it.
    if (snapshot.affinityKey) this.setAffinityKey(asBuffer(snapshot.affinityKey), 'stream');
    const input = snapshotInput(snapshot);
    const out = compile(input);
    this.version = snapshot.version;
    if (this.multi) this.postToWorkers(out, snapshot);
    return this.swap(out, input.resolveSecret);
  }

  private postToWorkers(out: CompileOutput, snapshot: TableSnapshot): void {
    const multi = this.multi!;
    const ids = new Set<string>();
    const routeKeys = new Set<string>();
    for (const r of out.table.routes) {
      routeKeys.add(r.key);
      for (const e of r.backend.endpoints) ids.add(e.id);
    }
    const slots = multi.slots.assign(ids, routeKeys);
    if (multi.slots.unslotted > 0 && !this.warnedSlots) {
      this.warnedSlots = true;
      this.log.warn({ endpoints: multi.slots.unslotted }, 'more endpoints than shared counter slots: those are balanced on per-worker counts');
    }
    multi.pool.postTable(snapshot, slots);
  }

  /** Swaps a compiled table into this thread's data plane: one assignment, atomic for the proxy. */
  private swap(out: CompileOutput, secrets: SecretResolver | undefined): CompileOutput {
    const previous = this.lastOut;
    this.lastOut = out;
    this.plane.setTable(out.table, secrets);
    this.synced = true;
    reportTable(this.metrics, this.log, out, previous);
    if (this.affinityKeyRandom && !this.warnedRandomKey && out.table.routes.some((r) => r.affinity)) {
      this.warnedRandomKey = true;
      this.log.warn(
        'session-affinity cookies are signed with a random key made at start: another replica (or this one after a restart) does not honour them; give every replica the same --affinity-key-file (the chart does)',
      );
    }
    return out;
  }

  /** Frees the counter slots of endpoints that left, once no worker can still count on them. */
  private collectSlots(): void {
    if (!this.multi || this.stopping) return;
    const next = this.multi.slots.collect(this.multi.pool.ackedEpoch());
    if (next) this.multi.pool.postSlots(next);
  }

  async start(listen: HostPort, adminListen: HostPort): Promise<{ proxy: HostPort; admin: HostPort; tls?: HostPort }> {
    const admin = await this.admin.listen(adminListen.host, adminListen.port);
    const bound = this.multi ? await this.multi.pool.start(listen, this.security.tlsListen) : await this.plane.listen(listen, this.secretResolver);
    const adminAddr = { host: admin.address, port: admin.port };
    this.overloadManager?.start();
    this.affinityKeyFile?.start();
    this.log.info(
      { proxy: `${bound.proxy.host}:${bound.proxy.port}`, admin: `${adminAddr.host}:${adminAddr.port}`, tls: bound.tls ? `${bound.tls.host}:${bound.tls.port}` : undefined, workers: this.multi?.pool.size ?? 1 },
      'listening',
    );
    return { proxy: bound.proxy, admin: adminAddr, ...(bound.tls ? { tls: bound.tls } : {}) };
  }

  /**
   * SIGTERM: /readyz fails at once, the listener stops accepting, connections get `graceMs`
   * to finish, then a 1001 close; the admin listener closes last. With workers, every worker
   * drains its own connections at the same time.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.overloadManager?.stop();
    this.affinityKeyFile?.stop();
    if (this.multi) {
      this.log.info({ graceMs, workers: this.multi.pool.size }, 'shutting down');
      clearInterval(this.multi.collector);
      clearInterval(this.multi.rebalancer);
      await this.multi.pool.shutdown(graceMs);
      await this.plane.stop();
    } else {
      this.log.info({ graceMs, connections: this.proxy.connections.size }, 'shutting down');
      await this.plane.shutdown(graceMs);
    }
    await this.admin.close();
  }

  /** Immediate stop (tests, fatal errors). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.overloadManager?.stop();
    this.affinityKeyFile?.stop();
    if (this.multi) {
      clearInterval(this.multi.collector);
      clearInterval(this.multi.rebalancer);
      await this.multi.pool.stop();
    }
    await this.plane.stop();
    await this.admin.close();
  }

  /** One scrape for the whole process: every worker's registry summed, with this thread's. */
  private async workerMetrics(): Promise<{ contentType: string; body: string }> {
    const parts = await this.multi!.pool.request<MetricObjectWithValues<MetricValue<string>>[]>('metrics');
    const registry = AggregatorRegistry.aggregate([await this.metrics.registry.getMetricsAsJSON(), ...parts]);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  private async debugRoutes(): Promise<unknown> {
    const table = this.proxy.getTable();
    const ejected = this.proxy.health.snapshot();
    const workers = this.multi ? (await this.multi.pool.request<WorkerStats>('stats')).sort((a, b) => a.index - b.index) : undefined;
    return {
      version: table.version,
      ...(workers ? { workers } : {}),
      ejected,
      listeners: table.listeners.map((l) => ({
        key: l.key,
        address: l.address,
        port: l.port,
        protocol: l.protocol,
        certificates: l.certificates.map((c) => ({ hostname: c.hostname, secret: c.tls.secret })),
      })),
      routes: table.routes.map((r) => ({
        key: r.key,
        kind: r.kind ?? 'WebSocketRoute',
        listener: r.listener ?? MAIN_LISTENER,
        hosts: r.hosts,
        path: r.path.source,
        subprotocols: r.subprotocols,
        headers: r.headers,
        method: r.method,
        queryParams: r.queryParams,
        gateway: r.gateway
          ? {
              route: r.gateway.routeKey,
              rule: r.gateway.ruleKey,
              pathMatch: r.gateway.pathMatch,
              backends: r.gateway.backends.map((b) => ({ weight: b.weight, resolved: b.target !== undefined, endpoints: b.target?.endpoints.length ?? 0 })),
              redirect: r.gateway.redirect,
              urlRewrite: r.gateway.urlRewrite,
              cors: r.gateway.cors,
              mirrors: r.gateway.mirrors?.map((m) => ({ percent: m.percent, resolved: m.target !== undefined, endpoints: m.target?.endpoints.length ?? 0 })),
              requestTimeoutMs: r.gateway.requestTimeoutMs,
              backendRequestTimeoutMs: r.gateway.backendRequestTimeoutMs,
              retry: r.gateway.retry,
            }
          : undefined,
        backendPath: r.backend.path.source,
        scheme: r.backend.scheme,
        policy: r.policy,
        http: r.http ? { methods: r.http.methods } : undefined,
        sessionAffinity: r.affinity ? debugAffinity(r.affinity) : undefined,
        // Compiled: sizes in bytes (0 = no limit), rates per second.
        messages: r.messages,
        keepalive: r.keepalive,
        tls: r.tls ? { secret: r.tls.secret } : undefined,
        security: r.security
          ? {
              auth: [...(r.security.jwt ? ['jwt'] : []), ...(r.security.apiKeys ? ['apiKeys'] : [])],
              origins: r.security.origin.any ? '*' : r.security.origin.allowed.length,
              limits: r.security.limits,
              activeConnections: this.guard.limiter.routeConnections(r.key),
              unresolved: r.security.unresolved?.reason,
            }
          : undefined,
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

/** A route's affinity in /debug/routes: under `cookie`, as a WebSocketRoute writes it, or under `header` (an HTTPRoute's Header sessionPersistence). */
function debugAffinity({ carrier, ...settings }: CompiledAffinity): { cookie: Omit<CompiledAffinity, 'carrier'> } | { header: Omit<CompiledAffinity, 'carrier'> } {
  return carrier === 'header' ? { header: settings } : { cookie: settings };
}
