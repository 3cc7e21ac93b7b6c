// One data plane: the proxy listener (and the TLS listener, and the table's Gateway sockets) with its admission guard, metrics
// observer and certificate index over the current table. The WsgateProcess runs one in its own thread
// (--workers 1); with --workers N each worker thread runs one (worker.ts), with
// counters shared through the load, health and limiter it is given.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type tls from 'node:tls';
import type { Logger } from 'pino';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../api/defaults.js';
import type { TlsPolicy } from '../api/tls-policy.js';
import { SecurityGuard } from '../admission/guard.js';
import { AffinityCodec } from '../balancer/affinity.js';
import type { RouteCursors } from '../balancer/cursors.js';
import type { EndpointHealth } from '../balancer/health.js';
import type { EndpointLoad } from '../balancer/load.js';
import { metricsObserver } from '../metrics/proxy-observer.js';
import { accessLogger } from '../log/destination.js';
import type { Metrics } from '../metrics/registry.js';
import { GatewaySocketBinder } from '../proxy/gateway-socket-binder.js';
import type { OverloadOptions } from '../proxy/overload-gate.js';
import { acceptH2c } from '../proxy/h2c-detect.js';
import { enforceHandshakeTimeout } from '../proxy/handshake-timeout.js';
import { PROXY_HEADER_REFUSALS, requireProxyHeaders, type ProxyProtocolOptions } from '../proxy/proxy-protocol-gate.js';
import { WebSocketProxy } from '../proxy/server.js';
import { sniIndex, type SniIndex } from '../proxy/sni-index.js';
import { PER_ROUTE, TlsListener } from '../proxy/tls-listener.js';
import { MAIN_LISTENER } from '../routing/gateway-types.js';
import type { PathOptions } from '../routing/request-target.js';
import type { RoutingTable } from '../routing/table.js';
import type { SecretResolver } from '../routing/types.js';
import { TrustedProxies } from '../security/client-address.js';
import type { Limiter } from '../security/rate-limit.js';
import { contextFromSecret } from '../security/tls-store.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface SecurityOptions {
  /** CIDRs whose X-Forwarded-For is believed (client identity, X-Forwarded-* appended). */
  trustedProxies?: string[];
  /** --client-ipv6-prefix: the prefix length that makes IPv6 addresses one client (limits, hashing); absent: /64. */
  clientIpv6Prefix?: number;
  /**
   * CIDRs of balancers that must open each connection with a PROXY header (v1 or v2) on every
   * listener; the client it carries is the peer. Off when empty.
   */
  proxyProtocol?: string[];
  /** A connection must send its complete request head (and finish TLS) within this; default 10 s. */
  handshakeTimeoutMs?: number;
  /** The TLS listener; off when unset. */
  tlsListen?: HostPort;
  /** Default certificate: a kubernetes.io/tls Secret (resolved like route Secrets)... */
  tlsDefaultSecret?: { namespace: string; name: string };
  /** ...or PEM files, read at start (standalone). */
  tlsDefaultFiles?: { cert: string; key: string };
  /** How request paths are normalised before lookup (--path-*); absent: the defaults. */
  paths?: PathOptions;
  /** --tls-min-version, --tls-ciphers...: the TLS listener's policy, and the Gateway sockets' base. */
  tlsPolicy?: TlsPolicy;
  /** --h2c: the plain listener takes HTTP/2 with prior knowledge beside HTTP/1.1. */
  h2c?: boolean;
}

export interface DataPlaneOptions {
  logger: Logger;
  metrics: Metrics;
  maxHeaderSize?: number;
  endpointMetrics?: boolean;
  security?: SecurityOptions;
  /** Signs session-affinity cookies: the WsgateProcess gives every plane of a process the same one. */
  affinityKey: Buffer;
  /** After setAffinityKey, cookies of the previous key stay valid this long (ms). */
  affinityKeyGraceMs?: number;
  /** Shared counters (worker threads); absent: in-process ones. */
  load?: EndpointLoad;
  health?: EndpointHealth;
  limiter?: Limiter;
  cursors?: RouteCursors;
  /** False: no rebalancing pass of its own (worker threads). */
  rebalance?: boolean;
  /** False: no TLS listener even with security.tlsListen (the main thread of a worker pool). */
  tls?: boolean;
  /** Random source of HTTPRoute weights (tests). */
  random?: () => number;
  /** --max-connections and the overload state, over the process counters. */
  overload?: OverloadOptions;
}

export class DataPlane {
  readonly proxy: WebSocketProxy;
  readonly guard: SecurityGuard;
  private readonly affinity: AffinityCodec;
  private readonly observer: ReturnType<typeof metricsObserver>;
  private readonly tls: TlsListener | undefined;
  private readonly security: SecurityOptions;
  private readonly log: Logger;
  private sni: SniIndex | undefined;
  private defaultCertId = '';
  private defaultFiles: { cert: Buffer; key: Buffer } | undefined;
  private readonly metrics: Metrics;
  private readonly handshakeMs: number;
  private readonly proxyProtocol: ProxyProtocolOptions | undefined;
  /** The Gateway sockets; opened once this plane listens (the main thread of a pool never does). */
  private gateway: GatewaySocketBinder | undefined;
  private gatewaySync: Promise<void> = Promise.resolve();

  constructor(opts: DataPlaneOptions) {
    this.log = opts.logger;
    this.metrics = opts.metrics;
    this.security = opts.security ?? {};
    // Its log lines are the access log: batched (log/destination.ts).
    this.observer = metricsObserver(opts.metrics, accessLogger(opts.logger), { endpointMetrics: opts.endpointMetrics ?? true });
    this.guard = new SecurityGuard({
      log: opts.logger,
      trustedProxies: this.security.trustedProxies?.length ? new TrustedProxies(this.security.trustedProxies) : undefined,
      ...(this.security.clientIpv6Prefix !== undefined ? { clientIpv6Prefix: this.security.clientIpv6Prefix } : {}),
      ...(opts.limiter ? { limiter: opts.limiter } : {}),
    });
    this.affinity = new AffinityCodec(opts.affinityKey, { graceMs: opts.affinityKeyGraceMs ?? 0 });
    const handshakeMs = this.security.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.proxy = new WebSocketProxy({
      logger: opts.logger,
      handshakeTimeoutMs: handshakeMs,
      observer: this.observer,
      maxHeaderSize: opts.maxHeaderSize,
      admission: this.guard,
      affinity: this.affinity,
      ...(opts.load ? { load: opts.load } : {}),
      ...(opts.health ? { health: opts.health } : {}),
      ...(opts.cursors ? { cursors: opts.cursors } : {}),
      ...(opts.rebalance === false ? { rebalance: false } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.overload ? { overload: opts.overload } : {}),
      ...(this.security.paths ? { paths: this.security.paths } : {}),
    });
    this.handshakeMs = handshakeMs;
    enforceHandshakeTimeout(this.proxy.server, handshakeMs);
    // After the handshake timeout's listener (HTTP/1.1 connections keep it), before the PROXY header's.
    if (this.security.h2c) acceptH2c(this.proxy.server, this.proxy.h2ServerFor(MAIN_LISTENER), handshakeMs);
    if (this.security.proxyProtocol?.length) {
      const refused = opts.metrics.proxyProtocolRefused;
      // Every reason from the start, at 0: a rate() over a series that appears at its first refusal misses it.
      for (const reason of PROXY_HEADER_REFUSALS) refused.inc({ reason }, 0);
      this.proxyProtocol = {
        senders: new TrustedProxies(this.security.proxyProtocol),
        timeoutMs: handshakeMs,
        log: opts.logger,
        onRefused: (reason) => refused.inc({ reason }),
      };
      // After the handshake timeout's listener: the header is read before either sees the socket.
      requireProxyHeaders(this.proxy.server, this.proxyProtocol);
    }
    if (this.security.tlsDefaultFiles) {
      const { cert, key } = this.security.tlsDefaultFiles;
      this.defaultFiles = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
    }
    if (this.security.tlsListen && opts.tls !== false) {
      this.tls = new TlsListener({
        server: this.proxy.server,
        h2Server: this.proxy.h2ServerFor(MAIN_LISTENER),
        contextFor: (name) => this.sni?.lookup(name),
        servedBy: (name) => this.sni?.servedBy(name) ?? '',
        handshakeTimeoutMs: handshakeMs,
        log: opts.logger,
        ...(this.proxyProtocol ? { proxyProtocol: this.proxyProtocol } : {}),
        ...(this.security.tlsPolicy ? { policy: this.security.tlsPolicy } : {}),
        clientValidation: PER_ROUTE,
      });
    }
  }

  /** Signs affinity cookies with `key` from now on (the previous key verifies for the grace period); false when unchanged. */
  setAffinityKey(key: Buffer): boolean {
    return this.affinity.setKey(key);
  }

  /** Swaps in a compiled table (atomic for the proxy) and the certificates it names. */
  setTable(table: RoutingTable, secrets: SecretResolver | undefined): void {
    this.proxy.setTable(table);
    if (this.tls) {
      this.sni = sniIndex(table, this.updateDefaultCertificate(secrets));
      this.tls.askForClientCertificates(table.routes.some((r) => r.security?.clientValidation !== undefined));
    }
    this.observer.pruneEndpointSeries(table);
    if (this.gateway) this.gatewaySync = this.gateway.sync(table.listeners);
  }

  /** Resolves once the Gateway sockets of the last table are open (or failed) and the ones it dropped stopped accepting. */
  gatewaySocketsSynced(): Promise<void> {
    return this.gatewaySync;
  }

  /** Where the Gateway socket `key` is bound, when it is open. */
  gatewaySocket(key: string): HostPort | undefined {
    const a = this.gateway?.address(key);
    return a ? { host: a.address, port: a.port } : undefined;
  }

  getTable(): RoutingTable {
    return this.proxy.getTable();
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

  /** Binds the proxy (and TLS) listeners; `reusePort` lets every worker bind the same port. */
  async listen(listen: HostPort, secrets: SecretResolver | undefined, reusePort = false): Promise<{ proxy: HostPort; tls?: HostPort }> {
    const proxy = await this.proxy.listen(listen.host, listen.port, reusePort);
    let tlsAddr: HostPort | undefined;
    if (this.tls && this.security.tlsListen) {
      // A default certificate from files is there before the first table.
      if (!this.sni) this.sni = sniIndex(this.proxy.getTable(), this.updateDefaultCertificate(secrets));
      const a = await this.tls.listen(this.security.tlsListen.host, this.security.tlsListen.port, reusePort);
      tlsAddr = { host: a.address, port: a.port };
    }
    this.gateway = new GatewaySocketBinder({
      log: this.log,
      serverFor: (key) => this.proxy.serverFor(key),
      h2ServerFor: (key) => this.proxy.h2ServerFor(key),
      retire: (server) => this.proxy.retireServer(server),
      prepare: (server, spec) => {
        enforceHandshakeTimeout(server, this.handshakeMs);
        // --h2c: a Gateway HTTP socket takes HTTP/2 with prior knowledge as the plain listener
        // does (Gateway API's HTTPRouteBackendProtocolH2C test sends its request so).
        if (this.security.h2c && spec.protocol === 'HTTP') acceptH2c(server, this.proxy.h2ServerFor(spec.key), this.handshakeMs);
      },
      tlsHandshakeTimeoutMs: this.handshakeMs,
      reusePort,
      ...(this.proxyProtocol ? { proxyProtocol: this.proxyProtocol } : {}),
      ...(this.security.tlsPolicy ? { tlsPolicy: this.security.tlsPolicy } : {}),
      onBindError: (listener, code) => this.metrics.gatewaySocketBindErrors.inc({ listener: listener.key, code }),
    });
    this.gatewaySync = this.gateway.sync(this.proxy.getTable().listeners);
    await this.gatewaySync;
    return { proxy: { host: proxy.address, port: proxy.port }, ...(tlsAddr ? { tls: tlsAddr } : {}) };
  }

  /** Graceful: stop accepting, let connections run for `graceMs`, then 1001. */
  async shutdown(graceMs: number): Promise<void> {
    await this.gateway?.stopAccepting();
    const tlsClosed = this.tls?.stopAccepting();
    await this.proxy.shutdown(graceMs);
    await tlsClosed;
    this.guard.stop();
  }

  async stop(): Promise<void> {
    await this.gateway?.stopAccepting();
    const tlsClosed = this.tls?.stopAccepting();
    await this.proxy.close();
    await tlsClosed;
    this.guard.stop();
  }
}
