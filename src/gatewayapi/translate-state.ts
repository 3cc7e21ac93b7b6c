// The translator's input and the state its processors hand each other (src/gatewayapi/translate.ts
// runs them in order): Gateways with their listeners, each route's rules and parents, each
// policy's targets. Types and two key helpers only.

import type { Condition } from '../api/types.js';
import type { TlsPolicy } from '../api/tls-policy.js';
import type { BackendTlsValidation, RetryPolicy, RouteBackend, RouteFilters, SessionPersistence } from './model.js';
import type { TargetKind } from './policies.js';
import type { ClientValidation } from '../api/client-validation.js';
import type {
  BackendTLSPolicy,
  ConfigMap,
  Gateway,
  GatewayClass,
  GatewayStatusAddress,
  HTTPRoute,
  HTTPRouteRule,
  Listener,
  ListenerSet,
  ListenerStatus,
  Namespace,
  ParentReference,
  ReferenceGrant,
  Secret,
  Service,
  WebSocketPolicy,
} from './types.js';

export interface TranslateInput {
  gatewayClasses: readonly GatewayClass[];
  gateways: readonly Gateway[];
  httpRoutes: readonly HTTPRoute[];
  referenceGrants: readonly ReferenceGrant[];
  namespaces: readonly Namespace[];
  services: readonly Service[];
  /** For HTTPS listeners' certificateRefs; absent: none exist. */
  secrets?: readonly Secret[];
  webSocketPolicies: readonly WebSocketPolicy[];
  /** Extra listeners for Gateways that allow them; absent: none. */
  listenerSets?: readonly ListenerSet[];
  /** gateway.networking.k8s.io/v1 BackendTLSPolicies; absent: none exist. */
  backendTLSPolicies?: readonly BackendTLSPolicy[];
  /** CA bundles: BackendTLSPolicies' and Gateways' client certificate validation caCertificateRefs; absent: none exist. */
  configMaps?: readonly ConfigMap[];
  /** status.addresses of a Gateway: the addresses of wsgate's Service (the same for every Gateway, or per Gateway). */
  addresses: readonly GatewayStatusAddress[] | ((gateway: { namespace: string; name: string }) => readonly GatewayStatusAddress[]);
  /** The spec.addresses types wsgate can assign; default IPAddress and Hostname (an address pool: IPAddress only). */
  addressTypes?: readonly string[];
  /** Listener ports wsgate can serve; absent: any port. */
  ports?: readonly number[];
  /** GatewayClass status.supportedFeatures; default IMPLEMENTED_FEATURES. */
  supportedFeatures?: readonly string[];
  /** Default wsgate.io/gateway-controller. */
  controllerName?: string;
  /** RFC 3339 time for lastTransitionTime of conditions that changed; absent: none is set. */
  now?: string;
}

export const nsOf = (m: { namespace?: string }) => m.namespace ?? 'default';
export const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** The input's objects by key, built once. */
export interface Indexes {
  readonly controllerName: string;
  readonly grants: readonly ReferenceGrant[];
  /** "ns/name". */
  readonly services: Map<string, Service>;
  /** "ns/name". */
  readonly secrets: Map<string, Secret>;
  /** "ns/name". */
  readonly configMaps: Map<string, ConfigMap>;
  /** By name. */
  readonly namespaces: Map<string, Namespace>;
  /** targetKey('Service', ...) -> the BackendTLSPolicy validation that applies (process-backend-tls.ts). */
  readonly backendTls: ReadonlyMap<string, BackendTlsValidation>;
}

export interface ListenerState {
  listener: Listener;
  /** The Gateway that serves it (a ListenerSet's listeners: its parent). */
  gateway: Gateway;
  /** The Gateway's namespace. */
  namespace: string;
  /** Set for a ListenerSet's listener: routes reach it through the ListenerSet, not the Gateway. */
  listenerSet?: { namespace: string; name: string };
  /** Accepted (protocol, port, values, no conflict). */
  accepted: boolean;
  /** Accepted, references resolved and at least one route kind: routes may attach. */
  usable: boolean;
  supportsHTTPRoute: boolean;
  attached: Set<string>;
  status: Omit<ListenerStatus, 'attachedRoutes'>;
  certificates: Array<{ namespace: string; name: string }>;
  /** HTTPS: tls.options as a policy (absent: none given). */
  tlsPolicy?: TlsPolicy;
  /** HTTPS: the Gateway's spec.tls.frontend validation for this port (absent: none asked). */
  clientValidation?: ClientValidation;
}

export interface GatewayState {
  gateway: Gateway;
  namespace: string;
  generation: number;
  /** Gateway-level problem, when the Gateway cannot be accepted whatever its listeners. */
  problem?: { reason: string; message: string };
  /** spec.addresses of a type wsgate serves that it could not assign: accepted, not programmed. */
  addressNotUsable?: string;
  /** spec.tls.backend.clientCertificateRef, resolved and permitted: presented to TLS backends. */
  backendClientCertificate?: { namespace: string; name: string };
  /** Set when spec.tls.backend is: the Gateway's ResolvedRefs (problem: False with its reason). */
  backendTlsRefs?: { problem?: { reason: string; message: string } };
  classAccepted: boolean;
  /** The Gateway's own listeners. */
  listeners: ListenerState[];
  addresses: GatewayStatusAddress[];
  /** The ListenerSets naming it as parent, in the spec's precedence (oldest, then namespace/name). */
  listenerSets: ListenerSetState[];
}

export interface ListenerSetState {
  listenerSet: ListenerSet;
  namespace: string;
  name: string;
  generation: number;
  gateway: GatewayState;
  /** Why it is not attached at all (NotAllowed, ParentNotAccepted): then it has no listeners. */
  problem?: { reason: string; message: string };
  listeners: ListenerState[];
}

/**
 * The listener name entries and sockets know a listener by: a Gateway's own listener by its
 * name; a ListenerSet's, whose name need not be unique beside the Gateway's, qualified by its set.
 */
export function servedListenerName(l: ListenerState): string {
  return l.listenerSet ? `ListenerSet/${l.listenerSet.namespace}/${l.listenerSet.name}/${l.listener.name}` : l.listener.name;
}

export type RuleMatches = Array<{ path: { type: 'Exact' | 'PathPrefix'; value: string }; headers: Array<{ name: string; value: string }>; queryParams: Array<{ name: string; value: string }>; method?: string }>;

export interface RuleResult {
  index: number;
  rule: HTTPRouteRule;
  problems: string[];
  matches: RuleMatches;
  filters: RouteFilters;
  backends: RouteBackend[];
  timeouts: { requestMs?: number; backendRequestMs?: number };
  sessionPersistence?: SessionPersistence;
  retry?: RetryPolicy;
}

export interface ParentResult {
  ref: ParentReference;
  /** The Gateway the route reaches (through its ListenerSet, when `listenerSet` is set). */
  gateway: GatewayState;
  listenerSet?: ListenerSetState;
  accepted: Condition;
  /** Listeners the route is attached to (for attachedRoutes and ancestors). */
  attachedTo: ListenerState[];
  /** Attached listeners that can carry traffic: entries are made for these. */
  serving: Array<{ listener: ListenerState; hostnames: string[] }>;
}

export interface PolicyTargetResult {
  kind: TargetKind;
  namespace: string;
  name: string;
  sectionName?: string;
  reason: 'Accepted' | 'Conflicted' | 'Invalid' | 'TargetNotFound';
  message: string;
}

/**
 * What a policy kind reports beside its targets' results (BackendTLSPolicy: ResolvedRefs for its
 * CA references, and Accepted=False when no CA certificate is usable).
 */
export interface PolicyLevelStatus {
  readonly refused?: { reason: string; message: string };
  readonly extra: (generation: number) => Condition[];
}
