// Plain-object builders for the Gateway API translator tests: the objects as the apiserver
// returns them (defaults applied where the CRDs default them), with small overrides per case.

import type { TranslateInput } from '../../src/gatewayapi/translate.js';
import type {
  Gateway,
  GatewayClass,
  HTTPRoute,
  HTTPRouteRule,
  Listener,
  ListenerSet,
  Namespace,
  ParentReference,
  ReferenceGrant,
  Secret,
  Service,
  WebSocketPolicy,
} from '../../src/gatewayapi/types.js';

export const CONTROLLER = 'wsgate.io/gateway-controller';
export const ADDRESS = { type: 'IPAddress', value: '10.0.0.10' };

export function gatewayClass(name = 'wsgate', controllerName = CONTROLLER, extra: Partial<GatewayClass['spec']> = {}): GatewayClass {
  return { metadata: { name, generation: 1 }, spec: { controllerName, ...extra } };
}

export function listener(name: string, extra: Partial<Listener> = {}): Listener {
  return { name, port: 80, protocol: 'HTTP', ...extra };
}

export function gateway(name: string, listeners: Listener[], extra: Partial<Gateway['spec']> = {}, namespace = 'infra'): Gateway {
  return { metadata: { name, namespace, generation: 2 }, spec: { gatewayClassName: 'wsgate', listeners, ...extra } };
}

/** A ListenerSet whose parent is Gateway `gateway` in infra. */
export function listenerSet(name: string, listeners: Listener[], namespace = 'infra', created = '2026-01-01T00:00:00Z', gateway = 'gw'): ListenerSet {
  return {
    metadata: { name, namespace, generation: 5, creationTimestamp: created },
    spec: { parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: gateway }, listeners },
  };
}

export function parent(name: string, extra: Partial<ParentReference> = {}): ParentReference {
  return { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name, ...extra };
}

export function rule(extra: HTTPRouteRule = {}): HTTPRouteRule {
  return { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ group: '', kind: 'Service', name: 'echo', port: 8080, weight: 1 }], ...extra };
}

export function route(name: string, spec: Partial<HTTPRoute['spec']> = {}, namespace = 'apps', created = '2026-01-01T00:00:00Z'): HTTPRoute {
  return {
    metadata: { name, namespace, generation: 3, creationTimestamp: created },
    spec: { parentRefs: [parent('gw')], rules: [rule()], ...spec },
  };
}

export function service(name: string, namespace = 'apps', ports: Service['spec']['ports'] = [{ name: 'http', port: 8080 }]): Service {
  return { metadata: { name, namespace }, spec: { ports } };
}

export function ns(name: string, labels: Record<string, string> = {}): Namespace {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export function grant(namespace: string, from: ReferenceGrant['spec']['from'], to: ReferenceGrant['spec']['to']): ReferenceGrant {
  return { metadata: { name: `grant-${namespace}`, namespace }, spec: { from, to } };
}

export function policy(name: string, targetRefs: WebSocketPolicy['spec']['targetRefs'], extra: Omit<WebSocketPolicy['spec'], 'targetRefs'> = {}, namespace = 'apps', created = '2026-01-01T00:00:00Z'): WebSocketPolicy {
  return { metadata: { name, namespace, generation: 4, creationTimestamp: created }, spec: { targetRefs, ...extra } };
}

export const routeTarget = (name: string, sectionName?: string) => ({ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name, ...(sectionName ? { sectionName } : {}) });
export const serviceTarget = (name: string, sectionName?: string) => ({ group: '', kind: 'Service', name, ...(sectionName ? { sectionName } : {}) });

/** A self-signed certificate and key, PEM, base64 as in a Secret's data. */
export function tlsSecret(name: string, namespace: string, crtPem: string, keyPem: string): Secret {
  return {
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(crtPem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
  };
}

/** The whole input with one Gateway `gw` (one HTTP listener on 80) unless overridden. */
export function input(over: Partial<TranslateInput> = {}): TranslateInput {
  return {
    gatewayClasses: [gatewayClass()],
    gateways: [gateway('gw', [listener('http')])],
    httpRoutes: [],
    referenceGrants: [],
    namespaces: [ns('infra'), ns('apps', { team: 'a' }), ns('other', { team: 'b' })],
    services: [service('echo')],
    secrets: [],
    webSocketPolicies: [],
    addresses: [ADDRESS],
    ...over,
  };
}
