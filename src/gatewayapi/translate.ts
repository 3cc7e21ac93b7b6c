// The Gateway API processor: GatewayClasses, Gateways, ListenerSets, HTTPRoutes, ReferenceGrants, Namespaces,
// Services, Secrets, WebSocketPolicies, BackendTLSPolicies and their CA ConfigMaps in; route entries, the listeners to serve and every
// object's status out. Like Envoy Gateway's Translate(), translate() is a list of processors,
// each in its own file, each handing the next what it found (translate-state.ts). Pure: no I/O
// (beyond the WebSocketRoute CRD that src/api loads once to validate policies), no clocks (a
// time for lastTransitionTime comes in as `now`), and the same input always gives the same output.

import type { TranslateOutput } from './model.js';
import { processBackendTLSPolicies } from './process-backend-tls.js';
import { processEntries } from './process-entries.js';
import { processGatewayClasses } from './process-gateway-classes.js';
import { processListenerSets } from './process-listener-sets.js';
import { processListeners } from './process-listeners.js';
import { processPolicies } from './process-policies.js';
import { processHTTPRoutes } from './process-routes.js';
import { processGatewayStatuses, processPolicyStatuses } from './process-statuses.js';
import { key, nsOf, type Indexes, type TranslateInput } from './translate-state.js';
import { CONTROLLER_NAME } from './types.js';

export type { TranslateInput } from './translate-state.js';
export { comparePrecedence } from './process-entries.js';

/**
 * The Gateway API features wsgate claims: GatewayClass status.supportedFeatures (unless the
 * caller passes its own list) and exactly what `make gateway-conformance` passes to the upstream
 * suite as --supported-features (GATEWAY-HTTP profile); e2e/gateway/conformance.test.ts fails
 * unless every test of every one of them passes. Add a feature here only with a passing run.
 * Header matching, weights, RequestHeaderModifier and hostname redirects are core HTTPRoute.
 */
export const IMPLEMENTED_FEATURES = [
  'BackendTLSPolicy',
  'BackendTLSPolicySANValidation',
  'Gateway',
  'GatewayAddressEmpty',
  'GatewayBackendClientCertificate',
  'GatewayFrontendClientCertificateValidation',
  'GatewayFrontendClientCertificateValidationInsecureFallback',
  'GatewayHTTPListenerIsolation',
  'GatewayHTTPSListenerDetectMisdirectedRequests',
  'GatewayPort8080',
  'GatewayStaticAddresses',
  'HTTPRoute',
  'HTTPRoute303RedirectStatusCode',
  'HTTPRoute307RedirectStatusCode',
  'HTTPRoute308RedirectStatusCode',
  'HTTPRouteBackendProtocolH2C',
  'HTTPRouteBackendProtocolWebSocket',
  'HTTPRouteBackendRequestHeaderModification',
  'HTTPRouteBackendTimeout',
  'HTTPRouteCORS',
  'HTTPRouteDestinationPortMatching',
  'HTTPRouteHostRewrite',
  'HTTPRouteMethodMatching',
  'HTTPRouteNamedRouteRule',
  'HTTPRouteParentRefPort',
  'HTTPRoutePathRedirect',
  'HTTPRoutePathRewrite',
  'HTTPRoutePortRedirect',
  'HTTPRouteQueryParamMatching',
  'HTTPRouteRequestMirror',
  'HTTPRouteRequestMultipleMirrors',
  'HTTPRouteRequestPercentageMirror',
  'HTTPRouteRequestTimeout',
  'HTTPRouteResponseHeaderModification',
  'HTTPRouteRetry',
  'HTTPRouteRetryBackendTimeout',
  'HTTPRouteRetryConnectionError',
  'HTTPRouteSchemeRedirect',
  'ListenerSet',
  'ReferenceGrant',
] as const;

export function translate(input: TranslateInput): TranslateOutput {
  const services = new Map(input.services.map((s) => [key(nsOf(s.metadata), s.metadata.name), s]));
  const backendTLSPolicies = input.backendTLSPolicies ?? [];
  // Before the routes: a backendRef to a Service port a policy covers is reached over TLS.
  const configMaps = new Map((input.configMaps ?? []).map((c) => [key(nsOf(c.metadata), c.metadata.name), c]));
  const backendTls = processBackendTLSPolicies(backendTLSPolicies, services, configMaps);
  const indexes: Indexes = {
    controllerName: input.controllerName ?? CONTROLLER_NAME,
    grants: input.referenceGrants,
    services,
    secrets: new Map((input.secrets ?? []).map((s) => [key(nsOf(s.metadata), s.metadata.name), s])),
    configMaps,
    namespaces: new Map(input.namespaces.map((n) => [n.metadata.name, n])),
    backendTls: backendTls.winners,
  };
  const features = [...new Set(input.supportedFeatures ?? IMPLEMENTED_FEATURES)].sort();

  const classes = processGatewayClasses(input.gatewayClasses, indexes.controllerName, features, input.now);
  const gatewayStates = processListeners(input, classes.accepted, indexes);
  const listenerSets = processListenerSets(input, gatewayStates, indexes);
  const routes = processHTTPRoutes(input.httpRoutes, gatewayStates, listenerSets, indexes, input.now);
  const policies = processPolicies(input.webSocketPolicies, input.httpRoutes, indexes.services);
  const entries = processEntries(routes, policies.winners);
  const policyStatuses = processPolicyStatuses(input.webSocketPolicies, policies.targets, routes, indexes.controllerName, input.now);
  const backendTlsStatuses = processPolicyStatuses(backendTLSPolicies, backendTls.targets, routes, indexes.controllerName, input.now, { levels: backendTls.levels, onlyGatewayAncestors: true });
  // Gateway statuses last: attachedRoutes is known now.
  const statuses = processGatewayStatuses(gatewayStates, input.now);

  return {
    routes: entries,
    listeners: statuses.listeners,
    gatewayClasses: classes.statuses,
    gateways: statuses.gateways,
    listenerSets: statuses.listenerSets,
    httpRoutes: routes.statuses,
    policies: policyStatuses,
    backendTLSPolicies: backendTlsStatuses,
  };
}
