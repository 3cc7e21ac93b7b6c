// Wires one process: proxy listener, admin listener, metrics, and the table swap every route
// source (file or Kubernetes) feeds. Sources call applyRoutes; nothing else swaps the table.

import type { Logger } from 'pino';
import { AdminServer } from './admin/server.js';
import { AffinityCodec } from './balancer/affinity.js';
import type { WebSocketRoute } from './api/types.js';
import { metricsObserver } from './metrics/proxy-observer.js';
import { Metrics } from './metrics/registry.js';
import { recordTable } from './metrics/table-metrics.js';
import { WebSocketProxy } from './proxy/server.js';
import { compile, type CompileOutput } from './routing/compile.js';
import type { SecretResolver, ServiceResolver } from './routing/types.js';
import { TlsListener } from './proxy/tls-listener.js';
import { TrustedProxies } from './security/client-address.js';
import { SecurityGuard } from './admission/guard.js';
import { enforceHandshakeTimeout } from './proxy/handshake-timeout.js';
import { sniIndex, type SniIndex } from './proxy/sni-index.js';
import { contextFromSecret } from './security/tls-store.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type tls from 'node:tls';

export interface GatewayOptions {
  logger: Logger;
  maxHeaderSize?: number;
  /** Per-endpoint metric series (off for very large fleets). */
  endpointMetrics?: boolean;
  security?: SecurityOptions;
  /** Signs session-affinity cookies; every replica behind one load balancer needs the same key. */
  affinityKey?: Buffer;
}

export interface SecurityOptions {
  /** CIDRs whose X-Forwarded-For is believed (client identity, X-Forwarded-* appended). */
  trustedProxies?: string[];
  /** A connection must send its complete request head (and finish TLS) within this; default 10 s. */
  handshakeTimeoutMs?: number;
  /** The TLS listener; off when unset. */
  tlsListen?: HostPort;
  /** Default certificate: a kubernetes.io/tls Secret (resolved like route Secrets)... */
  tlsDefaultSecret?: { namespace: string; name: string };
  /** ...or PEM files, read at start (standalone). */
  tlsDefaultFiles?: { cert: string; key: string };
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
  readonly guard: SecurityGuard;
  private readonly tls: TlsListener | undefined;
  private readonly security: SecurityOptions;
  private sni: SniIndex | undefined;
  private defaultCertId = '';
  private defaultFiles: { cert: Buffer; key: Buffer } | undefined;
  private secretResolver: SecretResolver | undefined;
  private readonly affinityKeySet: boolean;
  private warnedBuiltInKey = false;
  private last: { routes: readonly WebSocketRoute[]; resolveService?: ServiceResolver } | undefined;
  /** The last compile: the next one reuses what did not change (see routing/reuse.ts). */
  private lastOut: CompileOutput | undefined;

  constructor(opts: GatewayOptions) {
    this.log = opts.logger;
    this.security = opts.security ?? {};
    this.affinityKeySet = opts.affinityKey !== undefined;
    this.observer = metricsObserver(this.metrics, opts.logger, { endpointMetrics: opts.endpointMetrics ?? true });
    this.guard = new SecurityGuard({
      log: opts.logger,
      trustedProxies: this.security.trustedProxies?.length ? new TrustedProxies(this.security.trustedProxies) : undefined,
    });
    this.proxy = new WebSocketProxy({
      logger: opts.logger,
      observer: this.observer,
      maxHeaderSize: opts.maxHeaderSize,
      admission: this.guard,
      affinity: new AffinityCodec(opts.affinityKey),
    });
    const handshakeMs = this.security.handshakeTimeoutMs ?? 10_000;
    enforceHandshakeTimeout(this.proxy.server, handshakeMs);
    if (this.security.tlsDefaultFiles) {
      const { cert, key } = this.security.tlsDefaultFiles;
      this.defaultFiles = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
    }
    if (this.security.tlsListen) {
      this.tls = new TlsListener({
        server: this.proxy.server,
        contextFor: (name) => this.sni?.lookup(name),
        handshakeTimeoutMs: handshakeMs,
        log: opts.logger,
      });
    }
    this.admin = new AdminServer(this.metrics.registry, {
      ready: () => this.synced && !this.stopping,
      notReadyReason: () => (this.stopping ? 'shutting down' : 'waiting for the first routing table'),
      debugRoutes: () => this.debugRoutes(),
    });
  }

  /** Where Secrets come from when applyRoutes is not given a resolver (standalone: --secrets-dir). */
  setSecretResolver(resolver: SecretResolver | undefined): void {
    this.secretResolver = resolver;
  }

  /** Recompiles the last routes (a Secret changed); nothing when no routes were applied yet. */
  reapply(): CompileOutput | undefined {
    if (!this.last) return undefined;
    return this.applyRoutes(this.last.routes, this.last.resolveService);
  }

  /** Compiles and swaps in a new table. Pure compile, then one assignment: atomic for the proxy. */
  applyRoutes(routes: readonly WebSocketRoute[], resolveService?: ServiceResolver, resolveSecret?: SecretResolver): CompileOutput {
    this.last = { routes, resolveService };
    const secrets = resolveSecret ?? this.secretResolver;
    const previous = this.lastOut;
    const out = compile({ routes, resolveService, resolveSecret: secrets, version: ++this.version }, previous);
    this.lastOut = out;
    this.proxy.setTable(out.table);
    if (this.tls) this.sni = sniIndex(out.table, this.updateDefaultCertificate(secrets));
    this.synced = true;
    this.metrics.configReloads.inc({ result: 'success' });
    recordTable(this.metrics, out.table, out.statuses, previous?.table);
    this.observer.pruneEndpointSeries(out.table);
    for (const s of out.statuses.values()) {
      if (s.accepted.status !== 'True') {
        this.log.warn({ route: s.key, reason: s.accepted.reason }, `route not accepted: ${s.accepted.message}`);
      }
    }
    if (!this.affinityKeySet && !this.warnedBuiltInKey && out.table.routes.some((r) => r.affinity)) {
      this.warnedBuiltInKey = true;
      this.log.warn('session-affinity cookies are signed with the built-in key: set --affinity-key-file (the chart does) so their values cannot be derived from endpoint addresses');
    }
    this.log.info({ version: out.table.version, routes: out.table.routes.length }, 'routing table updated');
    return out;
  }

  /**
   * The default certificate, from files or from its Secret (so a rotated Secret is picked up
   * with the next table); also installed for clients that send no SNI.
   */
  private updateDefaultCertificate(resolve: SecretResolver | undefined): tls.SecureContext | undefined {
    let pair = this.defaultFiles;
    const ref = this.security.tlsDefaultSecret;
    if (!pair && ref) {
      const found = resolve?.(ref.namespace, ref.name);
      const data = found?.ok ? found.data : undefined;
      if (data?.['tls.crt'] && data['tls.key']) pair = { cert: data['tls.crt'], key: data['tls.key'] };
      else this.log.warn({ secret: `${ref.namespace}/${ref.name}` }, 'default TLS certificate Secret not found or without tls.crt/tls.key');
    }
    if (!pair) {
      if (this.defaultCertId !== '') this.tls?.setDefault(undefined);
      this.defaultCertId = '';
      return undefined;
    }
    const ctx = contextFromSecret({ 'tls.crt': pair.cert, 'tls.key': pair.key });
    if (!ctx.ok) {
      this.log.error({ reason: ctx.message }, 'default TLS certificate cannot be used');
      return undefined;
    }
    const id = createHash('sha256').update(pair.cert).update(pair.key).digest('hex');
    if (id !== this.defaultCertId) {
      this.tls?.setDefault(pair);
      this.defaultCertId = id;
    }
    return ctx.context;
  }

  async start(listen: HostPort, adminListen: HostPort): Promise<{ proxy: HostPort; admin: HostPort; tls?: HostPort }> {
    const admin = await this.admin.listen(adminListen.host, adminListen.port);
    const proxy = await this.proxy.listen(listen.host, listen.port);
    let tlsAddr: HostPort | undefined;
    if (this.tls && this.security.tlsListen) {
      // A default certificate from files is there before the first table.
      if (!this.sni) this.sni = sniIndex(this.proxy.getTable(), this.updateDefaultCertificate(this.secretResolver));
      const a = await this.tls.listen(this.security.tlsListen.host, this.security.tlsListen.port);
      tlsAddr = { host: a.address, port: a.port };
    }
    this.log.info(
      { proxy: `${proxy.address}:${proxy.port}`, admin: `${admin.address}:${admin.port}`, tls: tlsAddr ? `${tlsAddr.host}:${tlsAddr.port}` : undefined },
      'listening',
    );
    return { proxy: { host: proxy.address, port: proxy.port }, admin: { host: admin.address, port: admin.port }, ...(tlsAddr ? { tls: tlsAddr } : {}) };
  }

  /**
   * SIGTERM: /readyz fails at once, the listener stops accepting, connections get `graceMs`
   * to finish, then a 1001 close; the admin listener closes last.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.log.info({ graceMs, connections: this.proxy.connections.size }, 'shutting down');
    const tlsClosed = this.tls?.stopAccepting();
    await this.proxy.shutdown(graceMs);
    await tlsClosed;
    this.guard.stop();
    await this.admin.close();
  }

  /** Immediate stop (tests, fatal errors). */
  async stop(): Promise<void> {
    this.stopping = true;
    const tlsClosed = this.tls?.stopAccepting();
    await this.proxy.close();
    await tlsClosed;
    this.guard.stop();
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
        http: r.http ? { methods: r.http.methods } : undefined,
        sessionAffinity: r.affinity ? { cookie: r.affinity } : undefined,
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
