// `wsgate controller --no-proxy`: the controller of split mode. It compiles every table as the
// single process does (statuses, table metrics, /debug/routes) but opens no proxy listener:
// each table's snapshot goes to the proxies over the mutual-TLS snapshot stream instead of to
// worker threads. Every replica serves the stream; only the leader writes status (controller/).

import type { Logger } from 'pino';
import { AdminServer } from './admin/server.js';
import type { HostOwnership, WebSocketRoute } from './api/types.js';
import { Metrics } from './metrics/registry.js';
import { reportTable } from './metrics/table-metrics.js';
import type { CompileOutput } from './routing/compile.js';
import type { GatewayCompileInput } from './routing/gateway-types.js';
import type { SecretResolver, ServiceResolver } from './routing/types.js';
import { SnapshotServer } from './stream/server.js';
import path from 'node:path';
import { readStreamTls, STREAM_TLS_FILES, type StreamTls } from './stream/tls-files.js';
import { WatchedFiles } from './sources/watched-files.js';
import type { HostPort, SecurityOptions } from './workers/data-plane.js';
import { compileRecorded, type TableSnapshot } from './workers/snapshot.js';
import { recordAffinityKey } from './metrics/affinity-key.js';

export interface ControlPlaneOptions {
  logger: Logger;
  /** The proxies' security flags: their default certificate Secret goes into every snapshot. */
  security?: SecurityOptions;
  /**
   * `tlsDir`: where `tls` was read from (--snapshot-tls-dir); watched, and a changed pair (a
   * Secret regenerated or renewed by cert-manager) serves new streams without a restart.
   */
  stream: { tls: StreamTls; tlsDir?: string; clientName: string; heartbeatMs: number };
  /** --host-ownership: decided here and carried to the proxies in each snapshot. */
  hostOwnership?: HostOwnership;
}

export class ControlPlane {
  readonly metrics = new Metrics({ omit: ['dataPlane', 'proxyStream'] });
  readonly admin: AdminServer;
  private readonly server: SnapshotServer;
  private readonly tlsFiles: WatchedFiles | undefined;
  private readonly log: Logger;
  private version = 0;
  private synced = false;
  private stopping = false;
  private lastOut: CompileOutput | undefined;
  /** The last snapshot published, so a new affinity key can go out without a recompile. */
  private lastSnapshot: TableSnapshot | undefined;
  /** The session-affinity key from the key Secret: every snapshot carries it to the proxies. */
  private affinityKey: Buffer | undefined;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.log = opts.logger;
    this.server = new SnapshotServer({
      tls: opts.stream.tls,
      clientName: opts.stream.clientName,
      heartbeatMs: opts.stream.heartbeatMs,
      log: opts.logger,
      onSubscribers: (n) => this.metrics.snapshotSubscribers.set(n),
      onRefused: (reason) => this.metrics.snapshotStreamsRefused.inc({ reason }),
    });
    const dir = opts.stream.tlsDir;
    this.tlsFiles = dir ? new WatchedFiles(STREAM_TLS_FILES.map((f) => path.join(dir, f)), opts.logger, () => this.reloadTls(dir)) : undefined;
    this.admin = new AdminServer(this.metrics.registry, {
      ready: () => this.synced && !this.stopping,
      notReadyReason: () => (this.stopping ? 'shutting down' : 'waiting for the first routing table'),
      debugRoutes: () => this.debugRoutes(),
    });
  }

  /** Compiles (recording the resolvers' answers) and publishes the snapshot to every proxy. */
  applyRoutes(routes: readonly WebSocketRoute[], resolveService?: ServiceResolver, resolveSecret?: SecretResolver, gateway?: GatewayCompileInput): CompileOutput {
    const ref = this.opts.security?.tlsDefaultSecret;
    const ownership = this.opts.hostOwnership;
    const input = { routes, resolveService, resolveSecret, version: ++this.version, ...(gateway ? { gateway } : {}), ...(ownership ? { hostOwnership: ownership } : {}) };
    const { out, snapshot } = compileRecorded(input, this.lastOut, ref ? [ref] : []);
    this.publish(snapshot);
    const previous = this.lastOut;
    this.lastOut = out;
    this.synced = true;
    reportTable(this.metrics, this.log, out, previous);
    return out;
  }

  /**
   * The key Secret's key (at start, and when it changed): published to every proxy with the
   * table they have, as a new version (a proxy applies each version once). Unchanged: nothing.
   */
  setAffinityKey(key: Buffer): void {
    if (this.affinityKey?.equals(key)) return;
    const first = this.affinityKey === undefined;
    this.affinityKey = key;
    recordAffinityKey(this.metrics, this.log, 'secret', first);
    if (this.lastSnapshot) this.publish({ ...this.lastSnapshot, version: ++this.version });
  }

  /** Re-reads the stream's certificates; a half-written or mismatched set keeps the current ones. */
  private reloadTls(dir: string): void {
    try {
      this.server.setTls(readStreamTls(dir));
    } catch (err) {
      this.log.warn({ err: (err as Error).message, dir }, 'snapshot stream certificates changed but cannot be used (yet); the current ones stay');
      return;
    }
    this.log.info({ dir }, 'snapshot stream certificates reloaded: new streams are served with them');
  }

  private publish(snapshot: TableSnapshot): void {
    const withKey = this.affinityKey ? { ...snapshot, affinityKey: this.affinityKey } : snapshot;
    this.lastSnapshot = withKey;
    this.server.publish(withKey);
  }

  async start(streamListen: HostPort, adminListen: HostPort): Promise<{ stream: HostPort; admin: HostPort }> {
    const admin = await this.admin.listen(adminListen.host, adminListen.port);
    const stream = await this.server.listen(streamListen.host, streamListen.port);
    this.tlsFiles?.start();
    this.log.info({ stream: `${stream.address}:${stream.port}`, admin: `${admin.address}:${admin.port}` }, 'listening (no proxy: snapshots go to the proxies)');
    return { stream: { host: stream.address, port: stream.port }, admin: { host: admin.address, port: admin.port } };
  }

  /** The proxies keep their tables: closing the stream closes no client connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.tlsFiles?.stop();
    await this.server.close();
    await this.admin.close();
  }

  private debugRoutes(): unknown {
    const table = this.lastOut?.table;
    return {
      version: table?.version ?? 0,
      proxies: this.server.subscriberCount,
      routes: (table?.routes ?? []).map((r) => ({ key: r.key, hosts: r.hosts, path: r.path.source, endpoints: r.backend.endpoints.map((e) => ({ id: e.id, ready: e.ready, terminating: e.terminating })) })),
    };
  }
}
