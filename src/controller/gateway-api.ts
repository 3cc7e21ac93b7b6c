// The Gateway API side of the controller: informers for GatewayClasses, Gateways, ListenerSets, HTTPRoutes,
// ReferenceGrants, Namespaces, WebSocketPolicies, BackendTLSPolicies and ConfigMaps (their CA
// bundles) (and wsgate's own Service, for shared addresses); per compile, translate() over their caches and the socket plan the compiler gets
// beside the WebSocketRoutes. The leader turns the same translation into status writes.

import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  type V1ConfigMap,
  type V1Namespace,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { TranslateOutput } from '../gatewayapi/model.js';
import { translate } from '../gatewayapi/translate.js';
import type { BackendTLSPolicy, ConfigMap, Gateway, GatewayClass, GatewayStatusAddress, HTTPRoute, ListenerSet, Namespace, ReferenceGrant, Secret, Service, WebSocketPolicy } from '../gatewayapi/types.js';
import { partitionByClass, type ClassSelection } from '../api/route-class.js';
import type { GatewayCompileInput } from '../routing/gateway-types.js';
import { AddressPool, serviceAddresses, statusAddress } from './gateway-addresses.js';
import { GATEWAY_API_GROUP, GATEWAY_API_VERSION, POLICY_API_VERSION_NAME, POLICY_GROUP_NAME, type ServedGatewayApi } from './gateway-resources.js';
import { planSockets, type AddressMode, type MainSockets } from './gateway-socket-plan.js';
import { statusWrites, type StatusWrite } from './gateway-status.js';
import { Watched } from './watched.js';

export interface GatewayApiOptions {
  controllerName: string;
  /** --gateway-address: the addresses every Gateway reports (shared mode). */
  addresses: readonly string[];
  /** --gateway-service: wsgate's own Service, whose addresses every Gateway reports when no --gateway-address is given. */
  service?: { namespace: string; name: string };
  /** --gateway-address-pool: one address of this IPv4 or IPv6 CIDR per Gateway (isolated mode). */
  pool?: string;
  /** --gateway-ports: the only listener ports accepted; absent, any. */
  ports?: readonly number[];
  /** The ports of --gateway-service that forward to --listen / --tls-listen (MainSockets). */
  servicePort?: number;
  serviceTlsPort?: number;
  /** What discovery found served. */
  served: ServedGatewayApi;
  /** This install's route class: WebSocketPolicies of another class are ignored (no effect, no status). */
  classes: ClassSelection;
}

export interface GatewayApiContext {
  kc: KubeConfig;
  log: Logger;
  /** Namespaces watched for namespaced kinds; [undefined] = all. */
  scopes: ReadonlyArray<string | undefined>;
  onChange: () => void;
  onError: () => void;
}

export interface GatewayTranslation {
  readonly out: TranslateOutput;
  readonly input: GatewayCompileInput;
  readonly socketProblems: ReadonlyMap<string, string>;
}

type Obj = KubernetesObject & { spec?: unknown; status?: unknown };

/** RFC 3339 in seconds, the precision of metav1.Time. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class GatewayApiSource {
  private readonly classes: Watched<Obj>;
  private readonly namespaceWatch: Watched<V1Namespace>;
  private readonly gateways: Watched<Obj>[] = [];
  private readonly httpRoutes: Watched<Obj>[] = [];
  private readonly listenerSets: Watched<Obj>[] = [];
  private readonly grants: Watched<Obj>[] = [];
  private readonly policies: Watched<Obj>[] = [];
  private readonly backendTLSPolicies: Watched<Obj>[] = [];
  /** CA bundles: BackendTLSPolicies' caCertificateRefs and Gateways' spec.tls.frontend caCertificateRefs. */
  private readonly configMaps: Watched<V1ConfigMap>[] = [];
  private readonly ownService: Watched<V1Service> | undefined;
  private readonly pool: AddressPool | undefined;

  constructor(private readonly opts: GatewayApiOptions, ctx: GatewayApiContext) {
    const { kc, log, onChange, onError } = ctx;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const base = { kc, log, onChange, onError };
    const clusterKind = (kind: string, group: string, version: string, plural: string) =>
      new Watched<Obj>({
        ...base,
        kind,
        path: `/apis/${group}/${version}/${plural}`,
        list: (() => custom.listClusterCustomObject({ group, version, plural })) as ListPromise<Obj>,
      });
    const namespacedKind = (kind: string, group: string, version: string, plural: string, ns: string | undefined) =>
      new Watched<Obj>({
        ...base,
        kind,
        path: `/apis/${group}/${version}${ns ? `/namespaces/${ns}` : ''}/${plural}`,
        list: (ns
          ? () => custom.listNamespacedCustomObject({ group, version, namespace: ns, plural })
          : () => custom.listCustomObjectForAllNamespaces({ group, version, resourcePlural: plural })) as ListPromise<Obj>,
      });
    this.classes = clusterKind('GatewayClass', GATEWAY_API_GROUP, GATEWAY_API_VERSION, 'gatewayclasses');
    // Cluster-wide even with --watch-namespaces: allowedRoutes selectors match namespace labels.
    this.namespaceWatch = new Watched<V1Namespace>({ ...base, kind: 'Namespace', path: '/api/v1/namespaces', list: (() => core.listNamespace()) as ListPromise<V1Namespace> });
    for (const ns of ctx.scopes) {
      this.gateways.push(namespacedKind('Gateway', GATEWAY_API_GROUP, GATEWAY_API_VERSION, 'gateways', ns));
      this.httpRoutes.push(namespacedKind('HTTPRoute', GATEWAY_API_GROUP, GATEWAY_API_VERSION, 'httproutes', ns));
      const grantVersion = opts.served.referenceGrantVersion;
      if (grantVersion) this.grants.push(namespacedKind('ReferenceGrant', GATEWAY_API_GROUP, grantVersion, 'referencegrants', ns));
      if (opts.served.listenerSets) this.listenerSets.push(namespacedKind('ListenerSet', GATEWAY_API_GROUP, GATEWAY_API_VERSION, 'listenersets', ns));
      if (opts.served.policies) this.policies.push(namespacedKind('WebSocketPolicy', POLICY_GROUP_NAME, POLICY_API_VERSION_NAME, 'websocketpolicies', ns));
      if (opts.served.backendTLSPolicies) this.backendTLSPolicies.push(namespacedKind('BackendTLSPolicy', GATEWAY_API_GROUP, GATEWAY_API_VERSION, 'backendtlspolicies', ns));
      this.configMaps.push(
        new Watched<V1ConfigMap>({
          ...base,
          kind: 'ConfigMap',
          path: `/api/v1${ns ? `/namespaces/${ns}` : ''}/configmaps`,
          list: (ns ? () => core.listNamespacedConfigMap({ namespace: ns }) : () => core.listConfigMapForAllNamespaces()) as ListPromise<V1ConfigMap>,
        }),
      );
    }
    if (opts.pool) this.pool = new AddressPool(opts.pool);
    else if (opts.addresses.length === 0 && opts.service) {
      const { namespace, name } = opts.service;
      const fieldSelector = `metadata.name=${name}`;
      this.ownService = new Watched<V1Service>({
        ...base,
        kind: 'Service',
        fieldSelector,
        path: `/api/v1/namespaces/${namespace}/services`,
        list: (() => core.listNamespacedService({ namespace, fieldSelector })) as ListPromise<V1Service>,
      });
    }
    if (!opts.served.referenceGrantVersion) log.warn('ReferenceGrants are not served: cross-namespace references are refused');
    if (!opts.served.policies) log.warn('the WebSocketPolicy CRD is not installed: HTTPRoutes get the default WebSocket behaviour');
  }

  private all(): Watched<KubernetesObject>[] {
    return [
      this.classes,
      this.namespaceWatch,
      ...this.gateways,
      ...this.listenerSets,
      ...this.httpRoutes,
      ...this.grants,
      ...this.policies,
      ...this.backendTLSPolicies,
      ...this.configMaps,
      ...(this.ownService ? [this.ownService] : []),
    ];
  }

  start(): Promise<void[]> {
    return Promise.all(this.all().map((w) => w.start()));
  }

  stop(): Promise<void[]> {
    return Promise.all(this.all().map((w) => w.stop()));
  }

  /** Translates the caches (with the controller's Services and Secrets) and plans the sockets. */
  translate(services: readonly V1Service[], secrets: readonly V1Secret[], main: MainSockets, now: Date): GatewayTranslation {
    const gatewayClasses = this.classes.list() as unknown as GatewayClass[];
    const gateways = this.gateways.flatMap((w) => w.list()) as unknown as Gateway[];
    let addresses: readonly GatewayStatusAddress[] | ((g: { namespace: string; name: string }) => readonly GatewayStatusAddress[]);
    let mode: AddressMode;
    if (this.pool) {
      const ours = new Set(gatewayClasses.filter((c) => c.spec?.controllerName === this.opts.controllerName).map((c) => c.metadata.name));
      const assigned = this.pool.assign(
        gateways
          .filter((g) => ours.has(g.spec?.gatewayClassName))
          .map((g) => ({
            namespace: g.metadata.namespace ?? 'default',
            name: g.metadata.name,
            ...(g.metadata.creationTimestamp ? { creationTimestamp: String(g.metadata.creationTimestamp) } : {}),
            requested: (g.spec.addresses ?? []).filter((a) => (a.type ?? 'IPAddress') === 'IPAddress' && a.value).map((a) => a.value!),
          })),
      );
      addresses = (g) => {
        const ip = assigned.get(`${g.namespace}/${g.name}`);
        return ip ? [{ type: 'IPAddress', value: ip }] : [];
      };
      mode = { kind: 'isolated', addressOf: (namespace, name) => assigned.get(`${namespace}/${name}`) };
    } else {
      addresses = this.opts.addresses.length ? this.opts.addresses.map(statusAddress) : serviceAddresses(this.ownService?.list()[0]);
      mode = { kind: 'shared' };
    }
    const out = translate({
      gatewayClasses,
      gateways,
      httpRoutes: this.httpRoutes.flatMap((w) => w.list()) as unknown as HTTPRoute[],
      listenerSets: this.listenerSets.flatMap((w) => w.list()) as unknown as ListenerSet[],
      referenceGrants: this.grants.flatMap((w) => w.list()) as unknown as ReferenceGrant[],
      namespaces: this.namespaceWatch.list() as unknown as Namespace[],
      services: services as unknown as Service[],
      secrets: secrets as unknown as Secret[],
      configMaps: this.configMaps.flatMap((w) => w.list()) as unknown as ConfigMap[],
      webSocketPolicies: this.ownPolicies(),
      backendTLSPolicies: this.backendTLSPolicies.flatMap((w) => w.list()) as unknown as BackendTLSPolicy[],
      addresses,
      // A pool hands out IP addresses only.
      ...(this.pool ? { addressTypes: ['IPAddress'] } : {}),
      ...(this.opts.ports ? { ports: this.opts.ports } : {}),
      controllerName: this.opts.controllerName,
      now: rfc3339(now),
    });
    const plan = planSockets(out.routes, out.listeners, mode, {
      ...main,
      ...(this.opts.servicePort !== undefined ? { servicePort: this.opts.servicePort } : {}),
      ...(this.opts.serviceTlsPort !== undefined ? { serviceTlsPort: this.opts.serviceTlsPort } : {}),
    });
    return { out, input: plan.input, socketProblems: plan.problems };
  }

  /** The WebSocketPolicies of this install's class; the others are another install's to apply and report. */
  private ownPolicies(): WebSocketPolicy[] {
    return partitionByClass(this.policies.flatMap((w) => w.list()) as unknown as WebSocketPolicy[], this.opts.classes).ours;
  }

  /** The writes that make every object's status say what `t` computed. */
  statusWrites(t: GatewayTranslation, conflicts: ReadonlyMap<string, string> | undefined, now: Date): StatusWrite[] {
    return statusWrites({
      out: t.out,
      gatewayClasses: this.classes.list() as never,
      gateways: this.gateways.flatMap((w) => w.list()) as never,
      listenerSets: this.listenerSets.flatMap((w) => w.list()) as never,
      httpRoutes: this.httpRoutes.flatMap((w) => w.list()) as never,
      policies: this.ownPolicies() as never,
      backendTLSPolicies: this.backendTLSPolicies.flatMap((w) => w.list()) as never,
      controllerName: this.opts.controllerName,
      now: rfc3339(now),
      ...(conflicts ? { conflicts } : {}),
      socketProblems: t.socketProblems,
    });
  }
}
