// The translator's input and the state its processors hand each other (src/gatewayapi/translate.ts
// runs them in order): Gateways with their listeners, each route's rules and parents, each
// policy's targets. Types and two key helpers only.

import type { Condition } from '../api/types.js';
import type { TlsPolicy } from '../api/tls-policy.js';
import type { RouteBackend, RouteFilters, SessionPersistence } from './model.js';
import type { TargetKind } from './policies.js';
import type { ClientValidation } from '../api/client-validation.js';
import type {
  ConfigMap,
  Gateway,
  GatewayClass,
  GatewayStatusAddress,
  HTTPRoute,
  HTTPRouteRule,
  Listener,
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
  /** For Gateways' client certificate validation (caCertificateRefs); absent: none exist. */
  configMaps?: readonly ConfigMap[];
  webSocketPolicies: readonly WebSocketPolicy[];
  /** status.addresses of a Gateway: the addresses of wsgate's Service (the same for every Gateway, or per Gateway). */
  addresses: readonly GatewayStatusAddress[] | ((gateway: { namespace: string; name: string }) => readonly GatewayStatusAddress[]);
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
}

export interface ListenerState {
  listener: Listener;
  gateway: Gateway;
  namespace: string;
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
  classAccepted: boolean;
  listeners: ListenerState[];
  addresses: GatewayStatusAddress[];
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
}

export interface ParentResult {
  ref: ParentReference;
  gateway: GatewayState;
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
