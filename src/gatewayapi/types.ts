// The Gateway API objects the translator reads, as the apiserver returns them (v1, standard
// channel of the release vendored in crds/gateway-api/), plus Namespaces, Services, Secrets and
// wsgate's WebSocketPolicy. Only the fields the translator reads are declared;
// test/gatewayapi/schema-fields.test.ts checks that every one of them exists in the vendored CRD
// schemas (READ_FIELDS below), so a field renamed upstream fails a test instead of being read
// as undefined.

import type { Condition, WebSocketRouteSpec } from '../api/types.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const CONTROLLER_NAME = 'wsgate.io/gateway-controller';
export const POLICY_GROUP = 'wsgate.io';
export const POLICY_API_VERSION = 'wsgate.io/v1alpha1';

export interface Meta {
  name: string;
  namespace?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

// ---- GatewayClass -------------------------------------------------------------------------

export interface GatewayClass {
  metadata: Meta;
  spec: {
    controllerName: string;
    parametersRef?: { group: string; kind: string; name: string; namespace?: string };
  };
  status?: { conditions?: Condition[]; supportedFeatures?: Array<{ name: string }> };
}

// ---- Gateway ------------------------------------------------------------------------------

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

/** A reference to an object of any kind (caCertificateRefs). */
export interface ObjectReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** spec.tls.frontend.default.validation / perPort[].tls.validation (client certificates). */
export interface FrontendTLSValidation {
  caCertificateRefs: ObjectReference[];
  mode?: 'AllowValidOnly' | 'AllowInsecureFallback';
}

export interface FrontendTLSConfig {
  default?: { validation?: FrontendTLSValidation };
  perPort?: Array<{ port: number; tls?: { validation?: FrontendTLSValidation } }>;
}

/** A core ConfigMap (CA bundles in `ca.crt`). */
export interface ConfigMap {
  metadata: Meta;
  data?: Record<string, string>;
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: {
    mode?: 'Terminate' | 'Passthrough';
    certificateRefs?: SecretObjectReference[];
    options?: Record<string, string>;
  };
  allowedRoutes?: {
    namespaces?: { from?: 'All' | 'Same' | 'Selector'; selector?: LabelSelector };
    kinds?: RouteGroupKind[];
  };
}

export interface GatewayStatusAddress {
  type?: string;
  value: string;
}

export interface Gateway {
  metadata: Meta;
  spec: {
    gatewayClassName: string;
    listeners: Listener[];
    addresses?: Array<{ type?: string; value?: string }>;
    infrastructure?: { labels?: Record<string, string>; annotations?: Record<string, string>; parametersRef?: { group: string; kind: string; name: string } };
    tls?: { backend?: { clientCertificateRef?: SecretObjectReference }; frontend?: FrontendTLSConfig };
    /** Which namespaces' ListenerSets may attach (default: none). */
    allowedListeners?: { namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector } };
  };
}

// ---- ListenerSet --------------------------------------------------------------------------

/** Extra listeners for a parent Gateway that allows them (spec.allowedListeners). */
export interface ListenerSet {
  metadata: Meta;
  spec: {
    parentRef: { group?: string; kind?: string; name: string; namespace?: string };
    /** Same shape as a Gateway's listeners (ListenerEntry). */
    listeners: Listener[];
  };
  status?: ListenerSetStatus;
}

export interface ListenerSetStatus {
  conditions: Condition[];
  listeners: ListenerStatus[];
}

export interface ListenerStatus {
  name: string;
  supportedKinds: Array<{ group: string; kind: string }>;
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses: GatewayStatusAddress[];
  conditions: Condition[];
  listeners: ListenerStatus[];
  /** ListenerSets attached and accepted; written when the Gateway allows ListenerSets. */
  attachedListenerSets?: number;
}

// ---- HTTPRoute ----------------------------------------------------------------------------

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPHeaderFilter {
  set?: Array<{ name: string; value: string }>;
  add?: Array<{ name: string; value: string }>;
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestRedirect?: {
    scheme?: 'http' | 'https';
    hostname?: string;
    path?: HTTPPathModifier;
    port?: number;
    statusCode?: number;
  };
  urlRewrite?: { hostname?: string; path?: HTTPPathModifier };
  requestMirror?: {
    backendRef: { group?: string; kind?: string; name: string; namespace?: string; port?: number };
    percent?: number;
    fraction?: { numerator: number; denominator?: number };
  };
  extensionRef?: unknown;
  cors?: HTTPCORSFilter;
}

/** HTTPRouteFilter.cors (HTTPRouteCORS). */
export interface HTTPCORSFilter {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface HTTPRouteMatch {
  path?: { type?: 'Exact' | 'PathPrefix' | 'RegularExpression'; value?: string };
  headers?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  queryParams?: Array<{ type?: 'Exact' | 'RegularExpression'; name: string; value: string }>;
  method?: string;
}

export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
  /** Experimental channel only (an apiserver with the standard CRDs prunes it). */
  sessionPersistence?: HTTPSessionPersistence;
  /** Experimental channel only. */
  retry?: HTTPRouteRetry;
}

/** HTTPRoute rules[].retry (experimental channel). */
export interface HTTPRouteRetry {
  codes?: number[];
  attempts?: number;
  backoff?: string;
}

/** HTTPRoute rules[].sessionPersistence (experimental channel). */
export interface HTTPSessionPersistence {
  sessionName?: string;
  absoluteTimeout?: string;
  type?: 'Cookie' | 'Header';
  cookieConfig?: { lifetimeType?: 'Permanent' | 'Session' };
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface HTTPRoute {
  metadata: Meta;
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
}

// ---- ReferenceGrant -----------------------------------------------------------------------

export interface ReferenceGrant {
  metadata: Meta;
  spec: {
    from: Array<{ group: string; kind: string; namespace: string }>;
    to: Array<{ group: string; kind: string; name?: string }>;
  };
}

// ---- core ---------------------------------------------------------------------------------

export interface Namespace {
  metadata: { name: string; labels?: Record<string, string> };
}

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface Service {
  metadata: Meta;
  spec: { type?: string; ports?: ServicePort[] };
}

export interface Secret {
  metadata: Meta;
  type?: string;
  /** Base64 values, as the API returns them. */
  data?: Record<string, string>;
}

// ---- WebSocketPolicy ----------------------------------------------------------------------

export interface PolicyTargetReference {
  group: string;
  kind: string;
  name: string;
  sectionName?: string;
}

/** The WebSocketRoute spec fields a WebSocketPolicy carries (the same schema nodes, see policy-crd.ts). */
export type WebSocketBehaviourSpec = Pick<
  WebSocketRouteSpec,
  'loadBalancer' | 'rebalance' | 'timeouts' | 'drain' | 'limits' | 'messages' | 'keepalive' | 'security' | 'sessionAffinity'
>;

export interface PolicyAncestorStatus {
  ancestorRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface WebSocketPolicy {
  metadata: Meta;
  spec: WebSocketBehaviourSpec & { targetRefs: PolicyTargetReference[]; className?: string };
  status?: { ancestors?: PolicyAncestorStatus[] };
}

// ---- BackendTLSPolicy (gateway.networking.k8s.io/v1) and ConfigMaps ------------------------

export interface BackendTLSPolicy {
  metadata: Meta;
  spec: {
    targetRefs: PolicyTargetReference[];
    validation: {
      caCertificateRefs?: Array<{ group: string; kind: string; name: string }>;
      wellKnownCACertificates?: string;
      hostname: string;
      subjectAltNames?: Array<{ type: 'Hostname' | 'URI'; hostname?: string; uri?: string }>;
    };
  };
  status?: { ancestors?: PolicyAncestorStatus[] };
}

export interface ConfigMap {
  metadata: Meta;
  data?: Record<string, string>;
}

/**
 * Every field the translator reads, by CRD file and version: '[]' is a list item. Checked
 * against the vendored schemas by test/gatewayapi/schema-fields.test.ts.
 */
/** A Gateway's listeners and a ListenerSet's are the same shape, and so are their statuses. */
const LISTENER_FIELDS = [
  'spec.listeners[].name',
  'spec.listeners[].hostname',
  'spec.listeners[].port',
  'spec.listeners[].protocol',
  'spec.listeners[].tls.mode',
  'spec.listeners[].tls.certificateRefs[].group',
  'spec.listeners[].tls.certificateRefs[].kind',
  'spec.listeners[].tls.certificateRefs[].name',
  'spec.listeners[].tls.certificateRefs[].namespace',
  'spec.listeners[].tls.options',
  'spec.listeners[].allowedRoutes.namespaces.from',
  'spec.listeners[].allowedRoutes.namespaces.selector.matchLabels',
  'spec.listeners[].allowedRoutes.namespaces.selector.matchExpressions[].key',
  'spec.listeners[].allowedRoutes.namespaces.selector.matchExpressions[].operator',
  'spec.listeners[].allowedRoutes.namespaces.selector.matchExpressions[].values',
  'spec.listeners[].allowedRoutes.kinds[].group',
  'spec.listeners[].allowedRoutes.kinds[].kind',
];
const LISTENER_STATUS_FIELDS = [
  'status.conditions',
  'status.listeners[].name',
  'status.listeners[].supportedKinds[].group',
  'status.listeners[].supportedKinds[].kind',
  'status.listeners[].attachedRoutes',
  'status.listeners[].conditions',
];

export const READ_FIELDS: Record<string, { version: string; fields: string[] }> = {
  'gateway-api/gateway.networking.k8s.io_gatewayclasses.yaml': {
    version: 'v1',
    fields: ['spec.controllerName', 'spec.parametersRef', 'status.conditions', 'status.supportedFeatures', 'status.supportedFeatures[].name'],
  },
  'gateway-api/gateway.networking.k8s.io_gateways.yaml': {
    version: 'v1',
    fields: [
      'spec.gatewayClassName',
      'spec.addresses',
      'spec.addresses[].type',
      'spec.addresses[].value',
      'spec.infrastructure.parametersRef',
      'spec.tls.backend',
      'spec.tls.backend.clientCertificateRef.group',
      'spec.tls.backend.clientCertificateRef.kind',
      'spec.tls.backend.clientCertificateRef.name',
      'spec.tls.backend.clientCertificateRef.namespace',
      'spec.tls.frontend',
      'spec.tls.frontend.default.validation.caCertificateRefs[].group',
      'spec.tls.frontend.default.validation.caCertificateRefs[].kind',
      'spec.tls.frontend.default.validation.caCertificateRefs[].name',
      'spec.tls.frontend.default.validation.caCertificateRefs[].namespace',
      'spec.tls.frontend.default.validation.mode',
      'spec.tls.frontend.perPort[].port',
      'spec.tls.frontend.perPort[].tls.validation.caCertificateRefs[].group',
      'spec.tls.frontend.perPort[].tls.validation.caCertificateRefs[].kind',
      'spec.tls.frontend.perPort[].tls.validation.caCertificateRefs[].name',
      'spec.tls.frontend.perPort[].tls.validation.caCertificateRefs[].namespace',
      'spec.tls.frontend.perPort[].tls.validation.mode',
      'spec.allowedListeners.namespaces.from',
      'spec.allowedListeners.namespaces.selector.matchLabels',
      'spec.allowedListeners.namespaces.selector.matchExpressions[].key',
      ...LISTENER_FIELDS,
      'status.addresses[].type',
      'status.addresses[].value',
      ...LISTENER_STATUS_FIELDS,
      'status.attachedListenerSets',
    ],
  },
  'gateway-api/gateway.networking.k8s.io_listenersets.yaml': {
    version: 'v1',
    fields: [
      'spec.parentRef.group',
      'spec.parentRef.kind',
      'spec.parentRef.name',
      'spec.parentRef.namespace',
      ...LISTENER_FIELDS,
      ...LISTENER_STATUS_FIELDS,
    ],
  },
  'gateway-api/gateway.networking.k8s.io_backendtlspolicies.yaml': {
    version: 'v1',
    fields: [
      'spec.targetRefs[].group',
      'spec.targetRefs[].kind',
      'spec.targetRefs[].name',
      'spec.targetRefs[].sectionName',
      'spec.validation.caCertificateRefs[].group',
      'spec.validation.caCertificateRefs[].kind',
      'spec.validation.caCertificateRefs[].name',
      'spec.validation.wellKnownCACertificates',
      'spec.validation.hostname',
      'spec.validation.subjectAltNames[].type',
      'spec.validation.subjectAltNames[].hostname',
      'spec.validation.subjectAltNames[].uri',
      'status.ancestors[].ancestorRef',
      'status.ancestors[].controllerName',
      'status.ancestors[].conditions',
    ],
  },
  'gateway-api/gateway.networking.k8s.io_httproutes.yaml': {
    version: 'v1',
    fields: [
      'spec.parentRefs[].group',
      'spec.parentRefs[].kind',
      'spec.parentRefs[].namespace',
      'spec.parentRefs[].name',
      'spec.parentRefs[].sectionName',
      'spec.parentRefs[].port',
      'spec.hostnames',
      'spec.rules[].name',
      'spec.rules[].matches[].path.type',
      'spec.rules[].matches[].path.value',
      'spec.rules[].matches[].headers[].type',
      'spec.rules[].matches[].headers[].name',
      'spec.rules[].matches[].headers[].value',
      'spec.rules[].matches[].queryParams[].type',
      'spec.rules[].matches[].queryParams[].name',
      'spec.rules[].matches[].queryParams[].value',
      'spec.rules[].matches[].method',
      'spec.rules[].filters[].type',
      'spec.rules[].filters[].requestHeaderModifier.set[].name',
      'spec.rules[].filters[].requestHeaderModifier.set[].value',
      'spec.rules[].filters[].requestHeaderModifier.add',
      'spec.rules[].filters[].requestHeaderModifier.remove',
      'spec.rules[].filters[].responseHeaderModifier.set',
      'spec.rules[].filters[].responseHeaderModifier.add',
      'spec.rules[].filters[].responseHeaderModifier.remove',
      'spec.rules[].filters[].requestRedirect.scheme',
      'spec.rules[].filters[].requestRedirect.hostname',
      'spec.rules[].filters[].requestRedirect.path.type',
      'spec.rules[].filters[].requestRedirect.path.replaceFullPath',
      'spec.rules[].filters[].requestRedirect.path.replacePrefixMatch',
      'spec.rules[].filters[].requestRedirect.port',
      'spec.rules[].filters[].requestRedirect.statusCode',
      'spec.rules[].filters[].urlRewrite.hostname',
      'spec.rules[].filters[].urlRewrite.path.type',
      'spec.rules[].filters[].urlRewrite.path.replaceFullPath',
      'spec.rules[].filters[].urlRewrite.path.replacePrefixMatch',
      'spec.rules[].filters[].requestMirror.backendRef.name',
      'spec.rules[].filters[].requestMirror.backendRef.namespace',
      'spec.rules[].filters[].requestMirror.backendRef.port',
      'spec.rules[].filters[].requestMirror.percent',
      'spec.rules[].filters[].requestMirror.fraction.numerator',
      'spec.rules[].filters[].requestMirror.fraction.denominator',
      'spec.rules[].filters[].extensionRef',
      'spec.rules[].filters[].cors.allowOrigins',
      'spec.rules[].filters[].cors.allowCredentials',
      'spec.rules[].filters[].cors.allowMethods',
      'spec.rules[].filters[].cors.allowHeaders',
      'spec.rules[].filters[].cors.exposeHeaders',
      'spec.rules[].filters[].cors.maxAge',
      'spec.rules[].backendRefs[].group',
      'spec.rules[].backendRefs[].kind',
      'spec.rules[].backendRefs[].name',
      'spec.rules[].backendRefs[].namespace',
      'spec.rules[].backendRefs[].port',
      'spec.rules[].backendRefs[].weight',
      'spec.rules[].backendRefs[].filters[].type',
      'spec.rules[].timeouts.request',
      'spec.rules[].timeouts.backendRequest',
      'status.parents[].parentRef.name',
      'status.parents[].controllerName',
      'status.parents[].conditions',
    ],
  },
  // The experimental channel's HTTPRoute (crds/gateway-api-experimental/): what only it has.
  'gateway-api-experimental/gateway.networking.k8s.io_httproutes.yaml': {
    version: 'v1',
    fields: [
      'spec.rules[].sessionPersistence.sessionName',
      'spec.rules[].sessionPersistence.absoluteTimeout',
      'spec.rules[].sessionPersistence.type',
      'spec.rules[].sessionPersistence.cookieConfig.lifetimeType',
      'spec.rules[].retry.codes',
      'spec.rules[].retry.attempts',
      'spec.rules[].retry.backoff',
    ],
  },
  'gateway-api/gateway.networking.k8s.io_referencegrants.yaml': {
    version: 'v1',
    fields: ['spec.from[].group', 'spec.from[].kind', 'spec.from[].namespace', 'spec.to[].group', 'spec.to[].kind', 'spec.to[].name'],
  },
  'wsgate.io_websocketpolicies.yaml': {
    version: 'v1alpha1',
    fields: [
      'spec.targetRefs[].group',
      'spec.targetRefs[].kind',
      'spec.targetRefs[].name',
      'spec.targetRefs[].sectionName',
      'spec.loadBalancer.policy',
      'spec.loadBalancer.hashOn',
      'spec.rebalance',
      'spec.timeouts.connect',
      'spec.timeouts.idle',
      'spec.timeouts.upgrade',
      'spec.timeouts.maxLifetime',
      'spec.drain.timeout',
      'spec.limits',
      'spec.security.allowedOrigins',
      'spec.security.auth',
      'spec.sessionAffinity',
      'status.ancestors[].ancestorRef.name',
      'status.ancestors[].controllerName',
      'status.ancestors[].conditions',
    ],
  },
};
