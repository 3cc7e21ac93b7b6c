// The Kubernetes side: informers -> (their caches are the store) -> debounced pure compile ->
// table swap in the sink (this process, or the proxies through the ControlPlane); the leader
// also writes statuses. It never touches a socket.

import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  type V1EndpointSlice,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, PLURAL, VERSION, type WebSocketRoute } from '../api/types.js';
import { partitionByClass, type ClassSelection } from '../api/route-class.js';
import type { Metrics } from '../metrics/registry.js';
import type { CompileOutput } from '../routing/compile.js';
import type { GatewayCompileInput } from '../routing/gateway-types.js';
import type { SecretResolver } from '../routing/types.js';
import type { ServiceResolver } from '../routing/types.js';
import { GatewayApiSource, type GatewayApiOptions } from './gateway-api.js';
import type { MainSockets } from './gateway-socket-plan.js';
import { GatewayStatusWriter } from './gateway-status-writer.js';
import { LeaderElector } from './leader.js';
import { buildSecretResolver, SECRET_FIELD_SELECTOR } from './resolve-secret.js';
import { buildServiceResolver, SERVICE_NAME_LABEL } from './resolve-service.js';
import { StatusWriter } from './status-writer.js';
import { Watched } from './watched.js';

/**
 * Where the compiled tables go: the process's own data plane (Gateway, single-process mode) or
 * the snapshot stream to the proxies (ControlPlane, `--no-proxy`).
 */
export interface TableSink {
  readonly metrics: Metrics;
  applyRoutes(routes: readonly WebSocketRoute[], resolveService?: ServiceResolver, resolveSecret?: SecretResolver, gateway?: GatewayCompileInput): CompileOutput;
}

export interface ControllerOptions {
  kc: KubeConfig;
  /** Where each compiled table goes: this process (WsgateProcess) or, with --no-proxy, the ControlPlane. */
  sink: TableSink;
  log: Logger;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  /**
   * Namespaces whose Secrets are watched (TLS certificates, JWT and API keys, backend CAs):
   * undefined = the watched namespaces, [] = no Secrets at all (no RBAC for them).
   */
  secretNamespaces?: string[];
  debounceMs: number;
  /** This install's route class (--class, --default-class): routes of another class are left alone. */
  classes: ClassSelection;
  /** Gateway API support (--gateway-api); absent: off. `main`: wsgate's own listeners as bound. */
  gatewayApi?: Omit<GatewayApiOptions, 'classes'> & { main: MainSockets };
  leaderElection: {
    enabled: boolean;
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs: number;
    retryPeriodMs: number;
  };
}

type RouteObject = WebSocketRoute & KubernetesObject;

export class Controller {
  private readonly routes: Watched<RouteObject>[] = [];
  private readonly services: Watched<V1Service>[] = [];
  private readonly slices: Watched<V1EndpointSlice>[] = [];
  private readonly secrets: Watched<V1Secret>[] = [];
  private readonly secretScope: (namespace: string) => boolean;
  private readonly statusWriter: StatusWriter;
  private readonly gatewayApi: GatewayApiSource | undefined;
  private readonly gatewayStatusWriter: GatewayStatusWriter | undefined;
  private readonly elector: LeaderElector | undefined;
  private leading: boolean;
  private synced = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The last compile's resolver: its answers for Services that did not change are reused. */
  private resolver: ServiceResolver | undefined;

  constructor(private readonly opts: ControllerOptions) {
    const { kc, log } = opts;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const onChange = () => this.schedule();
    const onError = () => opts.sink.metrics.watchErrors.inc();
    const scopes: Array<string | undefined> = opts.namespaces.length ? opts.namespaces : [undefined];
    for (const ns of scopes) {
      const prefix = ns ? `/namespaces/${ns}` : '';
      this.routes.push(
        new Watched<RouteObject>({
          kind: 'WebSocketRoute',
          kc,
          log,
          onChange,
          onError,
          path: `/apis/${GROUP}/${VERSION}${prefix}/${PLURAL}`,
          list: (ns
            ? () => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })
            : () => custom.listCustomObjectForAllNamespaces({ group: GROUP, version: VERSION, resourcePlural: PLURAL })) as ListPromise<RouteObject>,
        }),
      );
      this.services.push(
        new Watched<V1Service>({
          kind: 'Service',
          kc,
          log,
          onChange,
          onError,
          path: `/api/v1${prefix}/services`,
          list: (ns ? () => core.listNamespacedService({ namespace: ns }) : () => core.listServiceForAllNamespaces()) as ListPromise<V1Service>,
        }),
      );
      // The selector is applied to the watch by the informer; the list must apply it too.
      this.slices.push(
        new Watched<V1EndpointSlice>({
          kind: 'EndpointSlice',
          kc,
          log,
          onChange,
          onError,
          labelSelector: SERVICE_NAME_LABEL,
          path: `/apis/discovery.k8s.io/v1${prefix}/endpointslices`,
          list: (ns
            ? () => discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: SERVICE_NAME_LABEL })
            : () => discovery.listEndpointSliceForAllNamespaces({ labelSelector: SERVICE_NAME_LABEL })) as ListPromise<V1EndpointSlice>,
        }),
      );
    }
    // Secrets: all in the watched namespaces (or those of --secret-namespaces), less the types
    // routes never reference (field selector, see resolve-secret.ts). Filtering by name would
    // need a watch per referenced Secret; a label would need users to label their Secrets.
    const secretScopes: Array<string | undefined> = opts.secretNamespaces === undefined ? scopes : opts.secretNamespaces;
    this.secretScope = (ns) => secretScopes.includes(undefined) || secretScopes.includes(ns);
    for (const ns of secretScopes) {
      const prefix = ns ? `/namespaces/${ns}` : '';
      this.secrets.push(
        new Watched<V1Secret>({
          kind: 'Secret',
          kc,
          log,
          onChange,
          onError,
          fieldSelector: SECRET_FIELD_SELECTOR,
          path: `/api/v1${prefix}/secrets`,
          list: (ns
            ? () => core.listNamespacedSecret({ namespace: ns, fieldSelector: SECRET_FIELD_SELECTOR })
            : () => core.listSecretForAllNamespaces({ fieldSelector: SECRET_FIELD_SELECTOR })) as ListPromise<V1Secret>,
        }),
      );
    }
    this.statusWriter = new StatusWriter(kc, log);
    if (opts.gatewayApi) {
      this.gatewayApi = new GatewayApiSource({ ...opts.gatewayApi, classes: opts.classes }, { kc, log, scopes, onChange, onError });
      this.gatewayStatusWriter = new GatewayStatusWriter(kc, log);
    }
    const le = opts.leaderElection;
    this.leading = !le.enabled;
    opts.sink.metrics.leader.set(this.leading ? 1 : 0);
    if (le.enabled) {
      this.elector = new LeaderElector({
        kc,
        log,
        namespace: le.namespace,
        name: le.name,
        identity: le.identity,
        leaseDurationMs: le.leaseDurationMs,
        retryPeriodMs: le.retryPeriodMs,
        onChange: (leading) => {
          this.leading = leading;
          opts.sink.metrics.leader.set(leading ? 1 : 0);
          // A new leader writes every status it disagrees with.
          if (leading && this.synced) this.schedule();
        },
      });
    }
  }

  /** Resolves after every informer has listed once and the first table is in place. */
  async start(): Promise<void> {
    this.elector?.start();
    const all = [...this.routes, ...this.services, ...this.slices, ...this.secrets];
    await Promise.all([...all.map((w) => w.start()), this.gatewayApi?.start()]);
    this.synced = true;
    this.opts.log.info('initial sync complete');
    this.compileNow();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await Promise.all([...[...this.routes, ...this.services, ...this.slices, ...this.secrets].map((w) => w.stop()), this.gatewayApi?.stop()]);
    await this.writing;
    await this.elector?.stop();
  }

  private schedule(): void {
    if (!this.synced) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.compileNow(), this.opts.debounceMs);
  }

  private compileNow(): void {
    const started = performance.now();
    // Another install's routes are dropped before the compile: no table entry, no status, no
    // event, no metric series from this one (route classes, see api/route-class.ts).
    const routes = partitionByClass(this.routes.flatMap((w) => w.list()), this.opts.classes).ours;
    const resolver = buildServiceResolver(
      this.services.flatMap((w) => w.list()),
      this.slices.flatMap((w) => w.list()),
      this.resolver,
    );
    this.resolver = resolver;
    const secretObjects = this.secrets.flatMap((w) => w.list());
    const secrets = buildSecretResolver(secretObjects, this.secretScope);
    const now = new Date();
    const gw = this.gatewayApi?.translate(this.services.flatMap((w) => w.list()), secretObjects, this.opts.gatewayApi!.main, now);
    const out = this.opts.sink.applyRoutes(routes, resolver, secrets, gw?.input);
    this.opts.sink.metrics.reconcileDuration.observe((performance.now() - started) / 1000);
    if (!this.leading) return;
    const gatewayWrites = gw ? this.gatewayApi!.statusWrites(gw, out.gatewayConflicts, now) : [];
    // Status writes are serialised; a compile during a write queues the next one.
    this.writing = this.writing.then(async () => {
      const written = await this.statusWriter.write(routes, out.statuses);
      if (written > 0) this.opts.log.debug({ written }, 'route statuses updated');
      const gatewayWritten = gatewayWrites.length ? await this.gatewayStatusWriter!.write(gatewayWrites) : 0;
      if (gatewayWritten > 0) this.opts.log.debug({ written: gatewayWritten }, 'Gateway API statuses updated');
    });
  }
}
