// The table behind validate.test.ts: each case changes one thing in a valid route and says
// which field must be refused (or that the route must still be accepted). `layer` says which
// part of the validation owns the rule; schema and cel cases are the ones the apiserver
// enforces too, so the same table can be replayed against a real apiserver.

import { API_VERSION, KIND, type WebSocketRoute } from '../../src/api/types.js';

export type Layer = 'identity' | 'schema' | 'cel' | 'semantic';

export interface RouteCase {
  name: string;
  edit: (doc: Record<string, any>) => void;
  /** undefined: the route must be valid. */
  field?: string;
  /** A substring of the reason, when the wording matters. */
  reason?: string;
  layer?: Layer;
  /** Other fields the same edit may also (rightly) report. */
  alsoFields?: string[];
}

/** A route using every field of the resource (static endpoints variant). */
export function fullRoute(): WebSocketRoute {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'chat', namespace: 'apps' },
    spec: {
      className: 'wsgate',
      hosts: ['chat.example.com', '*.chat.example.com'],
      tls: { secretRef: { name: 'chat-tls' } },
      match: {
        path: '/gateway/{catchAll}',
        subprotocols: ['graphql-transport-ws'],
        headers: [{ name: 'x-tenant', value: 'a' }],
      },
      backend: {
        endpoints: [
          { host: '10.0.0.7', port: 5001 },
          { host: 'fd00::7', port: 5001 },
          { host: 'backend.internal', port: 5002 },
        ],
        scheme: 'wss',
        protocol: 'http/1.1',
        tls: { caSecretRef: { name: 'chat-ca', key: 'ca.crt' }, serverName: 'chat.internal', insecureSkipVerify: false },
        path: '/{catchAll}',
      },
      loadBalancer: { policy: 'ConsistentHash', hashOn: { header: 'x-user' } },
      rebalance: { tolerance: 0.2, maxClosesPerSecond: 5 },
      timeouts: { connect: '5s', idle: '1h', upgrade: '10s', maxLifetime: '24h' },
      drain: { timeout: '30s' },
      limits: { maxConnections: 10000, maxConnectionsPerClient: 50, upgradesPerSecondPerClient: 10 },
      messages: {
        maxBytes: '1Mi',
        maxBytesFromBackend: 16777216,
        rate: { perSecond: 50, burst: 100 },
        byteRate: { perSecond: '1Mi', burst: '4Mi' },
        onRateExceeded: 'Close',
      },
      keepalive: { pingInterval: '30s', pongTimeout: '10s' },
      security: {
        allowedOrigins: ['https://app.example.com'],
        allowMissingOrigin: false,
        auth: {
          jwt: {
            secretRef: { name: 'chat-jwt', key: 'jwks.json' },
            audiences: ['chat'],
            issuer: 'https://id.example.com',
            clockSkew: '30s',
            requireExpiration: true,
            algorithms: ['RS256', 'ES256'],
            tokenFrom: { query: 'access_token', subprotocolPrefix: 'bearer.' },
            requiredClaims: { scope: ['chat'], 'https://example.com/roles': ['admin', 'user'] },
            forwardClaims: { sub: 'x-user-id' },
          },
          apiKeys: { secretRef: { name: 'chat-keys' }, header: 'x-api-key', query: 'api_key' },
        },
      },
      requestHeaders: { set: { 'X-Gateway': 'wsgate' }, add: { 'X-Forwarded-Prefix': '/gateway' }, remove: ['x-debug'] },
      http: { methods: ['GET', 'POST', 'OPTIONS'], retry: { codes: [502, 503], attempts: 2, backoff: '100ms' } },
    },
    status: {
      observedGeneration: 3,
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok', observedGeneration: 3, lastTransitionTime: '2024-05-01T12:00:00Z' },
      ],
      backends: { ready: 3, total: 4 },
    },
  };
}

/** The smallest valid route, with a Service backend. */
export function baseRoute(): Record<string, any> {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'chat', namespace: 'default' },
    spec: {
      match: { path: '/gateway/{catchAll}' },
      backend: { service: { name: 'chat', port: 8080 }, path: '/{catchAll}' },
    },
  };
}

const spec = (d: Record<string, any>) => d.spec as Record<string, any>;
const endpoints = (d: Record<string, any>) => {
  delete spec(d).backend.service;
  spec(d).backend.endpoints = [{ host: '10.0.0.7', port: 5001 }];
};
const hashed = (hashOn: Record<string, unknown>) => (d: Record<string, any>) => {
  spec(d).loadBalancer = { policy: 'ConsistentHash', hashOn };
};

export const VALID: RouteCase[] = [
  { name: 'minimal service backend', edit: () => {} },
  { name: 'every field', edit: (d) => Object.assign(d, fullRoute()) },
  { name: 'static endpoints', edit: endpoints },
  { name: 'static endpoints over h2c', edit: (d) => { endpoints(d); spec(d).backend.protocol = 'h2c'; } },
  { name: 'endpoint IPv6 and host name', edit: (d) => { endpoints(d); spec(d).backend.endpoints.push({ host: '::1', port: 80 }, { host: 'api', port: 80 }); } },
  { name: 'named service port', edit: (d) => { spec(d).backend.service.port = 'http'; } },
  { name: 'service port 1 and 65535', edit: (d) => { spec(d).backend.service.port = 65535; } },
  { name: 'className', edit: (d) => { spec(d).className = 'internal.example.com'; } },
  { name: 'hostSharing', edit: (d) => { spec(d).hosts = ['chat.example.com']; spec(d).hostSharing = { namespaces: ['team-b', '0ps'] }; } },
  { name: 'wildcard host', edit: (d) => { spec(d).hosts = ['*.example.com', 'example.com'] ; } },
  { name: 'root path', edit: (d) => { spec(d).match.path = '/'; delete spec(d).backend.path; } },
  { name: 'backend.path without placeholders', edit: (d) => { spec(d).backend.path = '/ws'; } },
  { name: 'backend.path omitted', edit: (d) => { delete spec(d).backend.path; } },
  { name: 'backend.path uses a middle placeholder', edit: (d) => { spec(d).match.path = '/rooms/{room}/live'; spec(d).backend.path = '/r/{room}'; } },
  { name: 'policy RoundRobin', edit: (d) => { spec(d).loadBalancer = { policy: 'RoundRobin' }; } },
  { name: 'policy PowerOfTwoChoices', edit: (d) => { spec(d).loadBalancer = { policy: 'PowerOfTwoChoices' }; } },
  { name: 'empty loadBalancer', edit: (d) => { spec(d).loadBalancer = {}; } },
  { name: 'hash on header', edit: hashed({ header: 'x-user' }) },
  { name: 'hash on cookie', edit: hashed({ cookie: 'session' }) },
  { name: 'hash on query', edit: hashed({ query: 'user' }) },
  { name: 'hash on sourceIP', edit: hashed({ sourceIP: true }) },
  { name: 'hash on header with sourceIP false', edit: hashed({ header: 'x-user', sourceIP: false }) },
  { name: 'durations of every form', edit: (d) => { spec(d).timeouts = { connect: '500ms', idle: '1m30s', upgrade: '1.5s', maxLifetime: '1.5h' }; spec(d).drain = { timeout: '0s' }; } },
  { name: 'idle 0s means no idle limit', edit: (d) => { spec(d).timeouts = { idle: '0s', maxLifetime: '0s' }; } },
  { name: 'longest timer', edit: (d) => { spec(d).timeouts = { maxLifetime: '2147483647ms' }; } },
  { name: 'tolerance bounds', edit: (d) => { spec(d).rebalance = { tolerance: 0 }; } },
  { name: 'tolerance 10', edit: (d) => { spec(d).rebalance = { tolerance: 10, maxClosesPerSecond: 1 }; } },
  { name: 'fractional upgrade rate', edit: (d) => { spec(d).limits = { upgradesPerSecondPerClient: 0.5 }; } },
  { name: 'message sizes as integers and decimal quantities', edit: (d) => { spec(d).messages = { maxBytes: 65536, maxBytesFromBackend: '10M' }; } },
  { name: 'fractional message rate without burst', edit: (d) => { spec(d).messages = { rate: { perSecond: 0.5 } }; } },
  { name: 'keepalive without pongTimeout', edit: (d) => { spec(d).keepalive = { pingInterval: '25s' }; } },
  { name: 'per-client limit equal to the total', edit: (d) => { spec(d).limits = { maxConnections: 5, maxConnectionsPerClient: 5 }; } },
  { name: 'origins: any, wildcard, port', edit: (d) => { spec(d).security = { allowedOrigins: ['*', 'https://*.example.com', 'http://localhost:3000', 'http://[::1]:8080'] }; } },
  { name: 'jwt without key or audiences', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'jwt' } } } }; } },
  { name: 'tls with hosts', edit: (d) => { spec(d).hosts = ['a.example.com']; spec(d).tls = { secretRef: { name: 'a-tls' } }; } },
  { name: 'tls with client certificates, default mode', edit: (d) => { spec(d).hosts = ['a.example.com']; spec(d).tls = { secretRef: { name: 'a-tls' }, clientValidation: { caSecretRef: { name: 'devices' } } }; } },
  { name: 'tls with client certificates, insecure fallback', edit: (d) => { spec(d).hosts = ['a.example.com']; spec(d).tls = { secretRef: { name: 'a-tls' }, clientValidation: { caSecretRef: { name: 'devices', key: 'bundle.pem' }, mode: 'AllowInsecureFallback' } }; } },
  { name: 'wss backend, insecure', edit: (d) => { spec(d).backend.scheme = 'wss'; spec(d).backend.tls = { insecureSkipVerify: true }; } },
  { name: 'wss backend with a CA, default key', edit: (d) => { spec(d).backend.scheme = 'wss'; spec(d).backend.tls = { caSecretRef: { name: 'ca' }, serverName: 'chat.default.svc' }; } },
  { name: 'api keys only', edit: (d) => { spec(d).security = { auth: { apiKeys: { secretRef: { name: 'keys' } } } }; } },
  { name: 'api keys by query', edit: (d) => { spec(d).security = { auth: { apiKeys: { secretRef: { name: 'keys', key: 'k1' }, query: 'key' } } }; } },
  { name: 'jwt from a subprotocol, HS256, claims', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'jwt' }, algorithms: ['HS256'], clockSkew: '0s', tokenFrom: { subprotocolPrefix: 'bearer.' }, requiredClaims: { role: ['admin'] }, forwardClaims: { sub: 'X-User', email: 'x-email' } } } }; } },
  { name: 'headers set, add and remove', edit: (d) => { spec(d).requestHeaders = { set: { Host: 'internal' }, add: { 'X-A': '' }, remove: ['Cookie'] }; } },
  { name: 'null blocks count as absent', edit: (d) => { spec(d).timeouts = null; spec(d).hosts = null; spec(d).backend.path = null; } },
  { name: 'namespace omitted', edit: (d) => { delete d.metadata.namespace; } },
  { name: 'metadata from the apiserver', edit: (d) => { Object.assign(d.metadata, { uid: 'u', generation: 2, resourceVersion: '7', managedFields: [{}], labels: { a: 'b' } }); } },
  { name: 'status with conditions', edit: (d) => { d.status = fullRoute().status; } },
  { name: 'plain HTTP methods', edit: (d) => { spec(d).http = { methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] }; } },
  { name: 'plain HTTP retry with nothing set (defaults)', edit: (d) => { spec(d).http = { methods: ['GET'], retry: {} }; } },
  { name: 'plain HTTP retry on a 4xx, no backoff', edit: (d) => { spec(d).http = { methods: ['GET'], retry: { codes: [429], attempts: 10, backoff: '0s' } }; } },
  { name: 'affinity cookie with defaults', edit: (d) => { spec(d).sessionAffinity = { cookie: {} }; } },
  { name: 'affinity cookie with every field', edit: (d) => { spec(d).sessionAffinity = { cookie: { name: 'route', maxAge: '1h', path: '/hub', sameSite: 'None', secure: 'true' } }; } },
  { name: 'affinity with RoundRobin and secure false', edit: (d) => { spec(d).loadBalancer = { policy: 'RoundRobin' }; spec(d).sessionAffinity = { cookie: { sameSite: 'Strict', secure: 'false' } }; } },
];

export const INVALID: RouteCase[] = [
  // identity
  { layer: 'identity', name: 'wrong apiVersion', edit: (d) => { d.apiVersion = 'wsgate.io/v1'; }, field: 'apiVersion', reason: 'must be wsgate.io/v1alpha1' },
  { layer: 'identity', name: 'missing apiVersion', edit: (d) => { delete d.apiVersion; }, field: 'apiVersion' },
  { layer: 'identity', name: 'other kind', edit: (d) => { d.kind = 'Service'; d.apiVersion = 'v1'; }, field: 'kind', reason: 'kind Service is not WebSocketRoute' },
  { layer: 'identity', name: 'missing kind', edit: (d) => { delete d.kind; }, field: 'kind' },
  { layer: 'identity', name: 'missing metadata', edit: (d) => { delete d.metadata; }, field: 'metadata' },
  { layer: 'identity', name: 'missing name', edit: (d) => { delete d.metadata.name; }, field: 'metadata.name', reason: 'is required' },
  { layer: 'identity', name: 'bad name', edit: (d) => { d.metadata.name = 'Chat_1'; }, field: 'metadata.name', reason: 'DNS subdomain' },
  { layer: 'identity', name: 'bad namespace', edit: (d) => { d.metadata.namespace = 'Default'; }, field: 'metadata.namespace' },
  { layer: 'identity', name: 'metadata not a mapping', edit: (d) => { d.metadata = 'chat'; }, field: 'metadata', alsoFields: [] },

  // schema: structure
  { layer: 'schema', name: 'className with capitals', edit: (d) => { spec(d).className = 'Internal'; }, field: 'spec.className', reason: 'DNS subdomain' },
  { layer: 'schema', name: 'hostSharing without namespaces', edit: (d) => { spec(d).hostSharing = {}; }, field: 'spec.hostSharing.namespaces', reason: 'is required' },
  { layer: 'schema', name: 'hostSharing namespace not a name', edit: (d) => { spec(d).hostSharing = { namespaces: ['Team_B'] }; }, field: 'spec.hostSharing.namespaces[0]', reason: 'must be a namespace name' },
  { layer: 'schema', name: 'empty className', edit: (d) => { spec(d).className = ''; }, field: 'spec.className', reason: 'must not be empty' },
  { layer: 'schema', name: 'missing spec', edit: (d) => { delete d.spec; }, field: 'spec', reason: 'is required' },
  { layer: 'schema', name: 'spec not a mapping', edit: (d) => { d.spec = 'x'; }, field: 'spec', reason: 'must be a mapping' },
  { layer: 'schema', name: 'missing match', edit: (d) => { delete spec(d).match; }, field: 'spec.match', reason: 'is required' },
  { layer: 'schema', name: 'missing match.path', edit: (d) => { spec(d).match = {}; }, field: 'spec.match.path', reason: 'is required', alsoFields: ['spec'] },
  { layer: 'schema', name: 'missing backend', edit: (d) => { delete spec(d).backend; }, field: 'spec.backend', reason: 'is required' },
  { layer: 'schema', name: 'unknown spec field', edit: (d) => { spec(d).sekurity = {}; }, field: 'spec.sekurity', reason: 'is not a field' },
  { layer: 'schema', name: 'misspelled backend field', edit: (d) => { spec(d).backend.servce = spec(d).backend.service; delete spec(d).backend.service; }, field: 'spec.backend.servce', alsoFields: ['spec.backend'] },
  { layer: 'schema', name: 'unknown top-level field', edit: (d) => { d.extra = 1; }, field: 'extra' },
  // hosts
  { layer: 'schema', name: 'uppercase host', edit: (d) => { spec(d).hosts = ['Chat.example.com']; }, field: 'spec.hosts[0]', reason: 'lowercase DNS name' },
  { layer: 'schema', name: 'bare * host', edit: (d) => { spec(d).hosts = ['*']; }, field: 'spec.hosts[0]' },
  { layer: 'schema', name: 'host with port', edit: (d) => { spec(d).hosts = ['a.com:80']; }, field: 'spec.hosts[0]' },
  { layer: 'schema', name: 'duplicate host', edit: (d) => { spec(d).hosts = ['a.com', 'b.com', 'a.com']; }, field: 'spec.hosts[2]', reason: 'duplicate of item 0' },
  { layer: 'schema', name: 'too many hosts', edit: (d) => { spec(d).hosts = Array.from({ length: 17 }, (_, i) => `h${i}.com`); }, field: 'spec.hosts', reason: 'at most 16' },
  { layer: 'schema', name: 'hosts not a list', edit: (d) => { spec(d).hosts = 'a.com'; }, field: 'spec.hosts', reason: 'must be a list' },
  // match
  { layer: 'schema', name: 'relative path', edit: (d) => { spec(d).match.path = 'gateway/{catchAll}'; }, field: 'spec.match.path', reason: "must start with '/'" },
  { layer: 'schema', name: 'path with query', edit: (d) => { spec(d).match.path = '/a?b=1'; delete spec(d).backend.path; }, field: 'spec.match.path' },
  { layer: 'schema', name: 'path too long', edit: (d) => { spec(d).match.path = '/' + 'a'.repeat(1024); delete spec(d).backend.path; }, field: 'spec.match.path', reason: 'at most 1024 characters' },
  { layer: 'schema', name: 'bad subprotocol', edit: (d) => { spec(d).match.subprotocols = ['graphql ws']; }, field: 'spec.match.subprotocols[0]', reason: 'HTTP token' },
  { layer: 'schema', name: 'duplicate subprotocol', edit: (d) => { spec(d).match.subprotocols = ['a', 'a']; }, field: 'spec.match.subprotocols[1]' },
  { layer: 'schema', name: 'header without value', edit: (d) => { spec(d).match.headers = [{ name: 'x-tenant' }]; }, field: 'spec.match.headers[0].value', reason: 'is required' },
  { layer: 'schema', name: 'bad header name', edit: (d) => { spec(d).match.headers = [{ name: 'x tenant', value: 'a' }]; }, field: 'spec.match.headers[0].name' },
  { layer: 'schema', name: 'header value with newline', edit: (d) => { spec(d).match.headers = [{ name: 'x-tenant', value: 'a\r\nx: y' }]; }, field: 'spec.match.headers[0].value', reason: 'line breaks' },
  { layer: 'schema', name: 'header listed twice', edit: (d) => { spec(d).match.headers = [{ name: 'x-a', value: '1' }, { name: 'x-a', value: '2' }]; }, field: 'spec.match.headers[1]', reason: 'same name as item 0' },
  // backend
  { layer: 'schema', name: 'service without port', edit: (d) => { delete spec(d).backend.service.port; }, field: 'spec.backend.service.port', reason: 'is required' },
  { layer: 'schema', name: 'bad service name', edit: (d) => { spec(d).backend.service.name = 'Chat'; }, field: 'spec.backend.service.name', reason: 'DNS label' },
  { layer: 'schema', name: 'fractional service port', edit: (d) => { spec(d).backend.service.port = 80.5; }, field: 'spec.backend.service.port', reason: 'integer or a string' },
  { layer: 'schema', name: 'boolean service port', edit: (d) => { spec(d).backend.service.port = true; }, field: 'spec.backend.service.port', reason: 'integer or a string' },
  { layer: 'schema', name: 'empty endpoints', edit: (d) => { endpoints(d); spec(d).backend.endpoints = []; }, field: 'spec.backend.endpoints', reason: 'must not be empty' },
  { layer: 'schema', name: 'endpoint port too big', edit: (d) => { endpoints(d); spec(d).backend.endpoints.push({ host: 'a', port: 70000 }); }, field: 'spec.backend.endpoints[1].port', reason: 'at most 65535' },
  { layer: 'schema', name: 'endpoint port 0', edit: (d) => { endpoints(d); spec(d).backend.endpoints[0].port = 0; }, field: 'spec.backend.endpoints[0].port', reason: 'at least 1' },
  { layer: 'schema', name: 'endpoint port as string', edit: (d) => { endpoints(d); spec(d).backend.endpoints[0].port = '80'; }, field: 'spec.backend.endpoints[0].port', reason: 'must be an integer' },
  { layer: 'schema', name: 'endpoint without host', edit: (d) => { endpoints(d); delete spec(d).backend.endpoints[0].host; }, field: 'spec.backend.endpoints[0].host', reason: 'is required' },
  { layer: 'schema', name: 'endpoint host with space', edit: (d) => { endpoints(d); spec(d).backend.endpoints[0].host = 'a b'; }, field: 'spec.backend.endpoints[0].host', reason: 'IP address or a DNS host name' },
  { layer: 'schema', name: 'endpoint listed twice', edit: (d) => { endpoints(d); spec(d).backend.endpoints.push({ host: '10.0.0.7', port: 5001 }); }, field: 'spec.backend.endpoints[1]', reason: 'same host and port as item 0' },
  { layer: 'schema', name: 'scheme http', edit: (d) => { spec(d).backend.scheme = 'http'; }, field: 'spec.backend.scheme', reason: 'one of ws, wss' },
  { layer: 'schema', name: 'protocol h2', edit: (d) => { spec(d).backend.protocol = 'h2'; }, field: 'spec.backend.protocol', reason: 'one of http/1.1, h2c' },
  { layer: 'schema', name: 'relative backend path', edit: (d) => { spec(d).backend.path = '{catchAll}'; }, field: 'spec.backend.path', reason: "must start with '/'" },
  // loadBalancer, rebalance
  { layer: 'schema', name: 'unknown policy', edit: (d) => { spec(d).loadBalancer = { policy: 'Random' }; }, field: 'spec.loadBalancer.policy', reason: 'one of LeastConnections, RoundRobin, PowerOfTwoChoices, ConsistentHash' },
  { layer: 'schema', name: 'hash header not a token', edit: hashed({ header: 'x user' }), field: 'spec.loadBalancer.hashOn.header' },
  { layer: 'schema', name: 'sourceIP not boolean', edit: hashed({ sourceIP: 'yes' }), field: 'spec.loadBalancer.hashOn.sourceIP', reason: 'true or false', alsoFields: ['spec.loadBalancer.hashOn'] },
  { layer: 'schema', name: 'tolerance above 10', edit: (d) => { spec(d).rebalance = { tolerance: 11 }; }, field: 'spec.rebalance.tolerance', reason: 'at most 10' },
  { layer: 'schema', name: 'negative tolerance', edit: (d) => { spec(d).rebalance = { tolerance: -0.1 }; }, field: 'spec.rebalance.tolerance', reason: 'at least 0' },
  { layer: 'schema', name: 'maxClosesPerSecond 0', edit: (d) => { spec(d).rebalance = { maxClosesPerSecond: 0 }; }, field: 'spec.rebalance.maxClosesPerSecond', reason: 'at least 1' },
  { layer: 'schema', name: 'fractional maxClosesPerSecond', edit: (d) => { spec(d).rebalance = { maxClosesPerSecond: 1.5 }; }, field: 'spec.rebalance.maxClosesPerSecond', reason: 'integer' },
  // durations
  { layer: 'schema', name: 'duration without unit', edit: (d) => { spec(d).timeouts = { connect: '5' }; }, field: 'spec.timeouts.connect', reason: 'duration such as' },
  { layer: 'schema', name: 'duration with space', edit: (d) => { spec(d).timeouts = { idle: '5 s' }; }, field: 'spec.timeouts.idle' },
  { layer: 'schema', name: 'negative duration', edit: (d) => { spec(d).timeouts = { maxLifetime: '-5s' }; }, field: 'spec.timeouts.maxLifetime' },
  { layer: 'schema', name: 'duration in days', edit: (d) => { spec(d).drain = { timeout: '1d' }; }, field: 'spec.drain.timeout' },
  { layer: 'schema', name: 'duration as number', edit: (d) => { spec(d).timeouts = { connect: 5 }; }, field: 'spec.timeouts.connect', reason: 'must be a string' },
  // limits
  { layer: 'schema', name: 'maxConnections 0', edit: (d) => { spec(d).limits = { maxConnections: 0 }; }, field: 'spec.limits.maxConnections', reason: 'at least 1' },
  { layer: 'schema', name: 'maxConnectionsPerClient as text', edit: (d) => { spec(d).limits = { maxConnectionsPerClient: 'many' }; }, field: 'spec.limits.maxConnectionsPerClient', reason: 'integer' },
  { layer: 'schema', name: 'upgrade rate 0', edit: (d) => { spec(d).limits = { upgradesPerSecondPerClient: 0 }; }, field: 'spec.limits.upgradesPerSecondPerClient', reason: 'greater than 0' },
  // messages, keepalive
  { layer: 'schema', name: 'maxBytes with a unit of bits', edit: (d) => { spec(d).messages = { maxBytes: '1Mb' }; }, field: 'spec.messages.maxBytes', reason: 'quantity such as 64Ki' },
  { layer: 'schema', name: 'maxBytes negative', edit: (d) => { spec(d).messages = { maxBytes: '-1' }; }, field: 'spec.messages.maxBytes', reason: 'byte count' },
  { layer: 'schema', name: 'rate without perSecond', edit: (d) => { spec(d).messages = { rate: { burst: 5 } }; }, field: 'spec.messages.rate.perSecond', reason: 'is required' },
  { layer: 'schema', name: 'rate 0', edit: (d) => { spec(d).messages = { rate: { perSecond: 0 } }; }, field: 'spec.messages.rate.perSecond', reason: 'greater than 0' },
  { layer: 'schema', name: 'unknown onRateExceeded', edit: (d) => { spec(d).messages = { onRateExceeded: 'Drop' }; }, field: 'spec.messages.onRateExceeded', reason: 'one of Throttle, Close' },
  { layer: 'schema', name: 'keepalive without pingInterval', edit: (d) => { spec(d).keepalive = { pongTimeout: '5s' }; }, field: 'spec.keepalive.pingInterval', reason: 'is required' },
  { layer: 'schema', name: 'pingInterval not a duration', edit: (d) => { spec(d).keepalive = { pingInterval: '30' }; }, field: 'spec.keepalive.pingInterval', reason: 'duration' },
  // security
  { layer: 'schema', name: 'origin without scheme', edit: (d) => { spec(d).security = { allowedOrigins: ['app.example.com'] }; }, field: 'spec.security.allowedOrigins[0]', reason: 'origin' },
  { layer: 'schema', name: 'origin with path', edit: (d) => { spec(d).security = { allowedOrigins: ['https://a.com/x'] }; }, field: 'spec.security.allowedOrigins[0]' },
  { layer: 'schema', name: 'allowMissingOrigin not boolean', edit: (d) => { spec(d).security = { allowMissingOrigin: 'no' }; }, field: 'spec.security.allowMissingOrigin' },
  { layer: 'schema', name: 'jwt without secretRef', edit: (d) => { spec(d).security = { auth: { jwt: { audiences: ['a'] } } }; }, field: 'spec.security.auth.jwt.secretRef', reason: 'is required' },
  { layer: 'schema', name: 'secretRef without name', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { key: 'k' } } } }; }, field: 'spec.security.auth.jwt.secretRef.name' },
  { layer: 'schema', name: 'empty audience', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, audiences: [''] } } }; }, field: 'spec.security.auth.jwt.audiences[0]', reason: 'must not be empty' },
  { layer: 'schema', name: 'jwt algorithm none', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, algorithms: ['none'] } } }; }, field: 'spec.security.auth.jwt.algorithms[0]', reason: 'one of HS256' },
  { layer: 'schema', name: 'clockSkew not a duration', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, clockSkew: '30' } } }; }, field: 'spec.security.auth.jwt.clockSkew', reason: 'duration' },
  { layer: 'schema', name: 'required claim without values', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, requiredClaims: { scope: [] } } } }; }, field: 'spec.security.auth.jwt.requiredClaims.scope', reason: 'must not be empty' },
  { layer: 'schema', name: 'claim forwarded to a bad header name', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, forwardClaims: { sub: 'x user' } } } }; }, field: 'spec.security.auth.jwt.forwardClaims.sub' },
  { layer: 'schema', name: 'subprotocol prefix with a space', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, tokenFrom: { subprotocolPrefix: 'bearer ' } } } }; }, field: 'spec.security.auth.jwt.tokenFrom.subprotocolPrefix' },
  { layer: 'schema', name: 'apiKeys without secretRef', edit: (d) => { spec(d).security = { auth: { apiKeys: { header: 'x-key' } } }; }, field: 'spec.security.auth.apiKeys.secretRef', reason: 'is required' },
  { layer: 'schema', name: 'tls without secretRef', edit: (d) => { spec(d).hosts = ['a.com']; spec(d).tls = {}; }, field: 'spec.tls.secretRef', reason: 'is required' },
  { layer: 'schema', name: 'clientValidation without caSecretRef', edit: (d) => { spec(d).hosts = ['a.com']; spec(d).tls = { secretRef: { name: 'a-tls' }, clientValidation: { mode: 'AllowValidOnly' } }; }, field: 'spec.tls.clientValidation.caSecretRef', reason: 'is required' },
  { layer: 'schema', name: 'clientValidation mode unknown', edit: (d) => { spec(d).hosts = ['a.com']; spec(d).tls = { secretRef: { name: 'a-tls' }, clientValidation: { caSecretRef: { name: 'devices' }, mode: 'Require' } }; }, field: 'spec.tls.clientValidation.mode' },
  { layer: 'schema', name: 'backend serverName in uppercase', edit: (d) => { spec(d).backend.scheme = 'wss'; spec(d).backend.tls = { serverName: 'Chat.internal' }; }, field: 'spec.backend.tls.serverName' },
  { layer: 'schema', name: 'insecureSkipVerify as text', edit: (d) => { spec(d).backend.scheme = 'wss'; spec(d).backend.tls = { insecureSkipVerify: 'yes' }; }, field: 'spec.backend.tls.insecureSkipVerify', reason: 'true or false' },
  // requestHeaders
  { layer: 'schema', name: 'header value injection', edit: (d) => { spec(d).requestHeaders = { set: { 'X-A': 'a\nX-B: b' } }; }, field: 'spec.requestHeaders.set["X-A"]', reason: 'line breaks' },
  { layer: 'schema', name: 'header value not a string', edit: (d) => { spec(d).requestHeaders = { add: { 'X-A': 1 } }; }, field: 'spec.requestHeaders.add["X-A"]', reason: 'must be a string' },
  { layer: 'schema', name: 'too many headers set', edit: (d) => { spec(d).requestHeaders = { set: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`X-${i}`, 'v'])) }; }, field: 'spec.requestHeaders.set', reason: 'at most 32 entries' },
  { layer: 'schema', name: 'bad header to remove', edit: (d) => { spec(d).requestHeaders = { remove: ['x y'] }; }, field: 'spec.requestHeaders.remove[0]' },
  // status
  { layer: 'schema', name: 'condition status Maybe', edit: (d) => { d.status = { conditions: [{ type: 'Ready', status: 'Maybe', reason: 'X', message: '' }] }; }, field: 'status.conditions[0].status' },
  { layer: 'schema', name: 'condition type twice', edit: (d) => { d.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'X', message: '' }, { type: 'Ready', status: 'False', reason: 'Y', message: '' }] }; }, field: 'status.conditions[1]', reason: 'same type' },
  { layer: 'schema', name: 'bad transition time', edit: (d) => { d.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'X', message: '', lastTransitionTime: 'yesterday' }] }; }, field: 'status.conditions[0].lastTransitionTime', reason: 'RFC 3339' },
  { layer: 'schema', name: 'negative ready count', edit: (d) => { d.status = { backends: { ready: -1, total: 0 } }; }, field: 'status.backends.ready' },

  // CEL rules
  { layer: 'cel', name: 'service and endpoints', edit: (d) => { spec(d).backend.endpoints = [{ host: 'a', port: 1 }]; }, field: 'spec.backend', reason: 'exactly one of service or endpoints' },
  { layer: 'cel', name: 'neither service nor endpoints', edit: (d) => { delete spec(d).backend.service; }, field: 'spec.backend', reason: 'exactly one of service or endpoints' },
  { layer: 'cel', name: 'service port 0', edit: (d) => { spec(d).backend.service.port = 0; }, field: 'spec.backend.service.port', reason: 'from 1 to 65535' },
  { layer: 'cel', name: 'service port 65536', edit: (d) => { spec(d).backend.service.port = 65536; }, field: 'spec.backend.service.port' },
  { layer: 'cel', name: 'uppercase port name', edit: (d) => { spec(d).backend.service.port = 'HTTP'; }, field: 'spec.backend.service.port' },
  { layer: 'cel', name: 'port name too long', edit: (d) => { spec(d).backend.service.port = 'a-very-long-name'; }, field: 'spec.backend.service.port' },
  { layer: 'cel', name: 'port number as string', edit: (d) => { spec(d).backend.service.port = '8080'; }, field: 'spec.backend.service.port' },
  { layer: 'cel', name: 'hashOn with default policy', edit: (d) => { spec(d).loadBalancer = { hashOn: { header: 'x' } }; }, field: 'spec.loadBalancer.hashOn', reason: 'only allowed with policy ConsistentHash' },
  { layer: 'cel', name: 'hashOn with RoundRobin', edit: (d) => { spec(d).loadBalancer = { policy: 'RoundRobin', hashOn: { header: 'x' } }; }, field: 'spec.loadBalancer.hashOn', reason: 'only allowed with policy ConsistentHash' },
  { layer: 'cel', name: 'ConsistentHash without hashOn', edit: (d) => { spec(d).loadBalancer = { policy: 'ConsistentHash' }; }, field: 'spec.loadBalancer.hashOn', reason: 'requires hashOn' },
  { layer: 'cel', name: 'empty hashOn', edit: hashed({}), field: 'spec.loadBalancer.hashOn', reason: 'exactly one of header, cookie, query or sourceIP' },
  { layer: 'cel', name: 'two hash keys', edit: hashed({ header: 'x', cookie: 'y' }), field: 'spec.loadBalancer.hashOn' },
  { layer: 'cel', name: 'sourceIP false alone', edit: hashed({ sourceIP: false }), field: 'spec.loadBalancer.hashOn' },
  { layer: 'cel', name: 'unknown placeholder in backend.path', edit: (d) => { spec(d).backend.path = '/{other}'; }, field: 'spec.backend.path', reason: 'must also appear in match.path' },
  { layer: 'cel', name: 'tls without hosts', edit: (d) => { spec(d).tls = { secretRef: { name: 'a-tls' } }; }, field: 'spec.tls', reason: 'tls requires hosts' },
  { layer: 'cel', name: 'protocol h2c with scheme wss', edit: (d) => { spec(d).backend.scheme = 'wss'; spec(d).backend.protocol = 'h2c'; }, field: 'spec.backend.protocol', reason: 'cannot be combined with scheme wss' },
  { layer: 'cel', name: 'backend.tls with scheme ws', edit: (d) => { spec(d).backend.tls = { insecureSkipVerify: true }; }, field: 'spec.backend.tls', reason: 'only allowed with scheme wss' },
  { layer: 'cel', name: 'CA and insecureSkipVerify', edit: (d) => { spec(d).backend.scheme = 'wss'; spec(d).backend.tls = { caSecretRef: { name: 'ca' }, insecureSkipVerify: true }; }, field: 'spec.backend.tls.caSecretRef', reason: 'no effect with insecureSkipVerify' },
  { layer: 'cel', name: 'empty auth block', edit: (d) => { spec(d).security = { auth: {} }; }, field: 'spec.security.auth', reason: 'jwt, apiKeys or both' },
  { layer: 'cel', name: 'placeholder prefix is not a match', edit: (d) => { spec(d).backend.path = '/{catch}'; }, field: 'spec.backend.path' },

  // semantic
  { layer: 'semantic', name: 'empty path segment', edit: (d) => { spec(d).match.path = '/a//{catchAll}'; }, field: 'spec.match.path', reason: 'empty segment' },
  { layer: 'semantic', name: 'placeholder inside a segment', edit: (d) => { spec(d).match.path = '/a/x{catchAll}'; delete spec(d).backend.path; }, field: 'spec.match.path', reason: 'whole segment' },
  { layer: 'semantic', name: 'repeated placeholder', edit: (d) => { spec(d).match.path = '/{a}/{a}'; delete spec(d).backend.path; }, field: 'spec.match.path', reason: 'repeats' },
  { layer: 'semantic', name: 'dot-dot segment', edit: (d) => { spec(d).match.path = '/a/../b'; delete spec(d).backend.path; }, field: 'spec.match.path' },
  { layer: 'semantic', name: 'encoded dot-dot segment', edit: (d) => { spec(d).match.path = '/a/%2E%2e/b'; delete spec(d).backend.path; }, field: 'spec.match.path', reason: 'segment' },
  { layer: 'semantic', name: 'malformed percent-encoding', edit: (d) => { spec(d).backend.path = '/a%zz/{catchAll}'; }, field: 'spec.backend.path', reason: 'malformed percent-encoding' },
  { layer: 'semantic', name: 'unclosed placeholder in backend.path', edit: (d) => { spec(d).backend.path = '/{catchAll'; }, field: 'spec.backend.path' },
  { layer: 'semantic', name: 'connect timeout 0s', edit: (d) => { spec(d).timeouts = { connect: '0s' }; }, field: 'spec.timeouts.connect', reason: 'greater than 0' },
  { layer: 'semantic', name: 'upgrade timeout 0s (an unbounded answer is what the field prevents)', edit: (d) => { spec(d).timeouts = { upgrade: '0s' }; }, field: 'spec.timeouts.upgrade', reason: 'greater than 0' },
  { layer: 'schema', name: 'upgrade timeout without unit', edit: (d) => { spec(d).timeouts = { upgrade: '10' }; }, field: 'spec.timeouts.upgrade', reason: 'duration such as' },
  { layer: 'schema', name: 'requireExpiration not a boolean', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, requireExpiration: 'yes' } } }; }, field: 'spec.security.auth.jwt.requireExpiration', reason: 'true or false' },
  { layer: 'semantic', name: 'idle beyond the timer limit', edit: (d) => { spec(d).timeouts = { idle: '600h' }; }, field: 'spec.timeouts.idle', reason: 'longest timer' },
  { layer: 'semantic', name: 'drain beyond the timer limit', edit: (d) => { spec(d).drain = { timeout: '2147483648ms' }; }, field: 'spec.drain.timeout' },
  { layer: 'semantic', name: 'host label over 63', edit: (d) => { spec(d).hosts = [`${'a'.repeat(64)}.com`]; }, field: 'spec.hosts[0]', reason: '63' },
  { layer: 'semantic', name: 'endpoint host neither IP nor name', edit: (d) => { endpoints(d); spec(d).backend.endpoints[0].host = '-bad-'; }, field: 'spec.backend.endpoints[0].host' },
  { layer: 'semantic', name: 'endpoint host bad IPv6', edit: (d) => { endpoints(d); spec(d).backend.endpoints[0].host = 'fd00:::1'; }, field: 'spec.backend.endpoints[0].host' },
  { layer: 'semantic', name: 'port name with --', edit: (d) => { spec(d).backend.service.port = 'a--b'; }, field: 'spec.backend.service.port', reason: 'port name' },
  { layer: 'semantic', name: 'match header twice in different case', edit: (d) => { spec(d).match.headers = [{ name: 'X-A', value: '1' }, { name: 'x-a', value: '2' }]; }, field: 'spec.match.headers[1].name', reason: 'case-insensitive' },
  { layer: 'semantic', name: 'set a handshake header', edit: (d) => { spec(d).requestHeaders = { set: { Upgrade: 'h2c' } }; }, field: 'spec.requestHeaders.set.Upgrade', reason: 'manages this header' },
  { layer: 'semantic', name: 'remove Sec-WebSocket-Key', edit: (d) => { spec(d).requestHeaders = { remove: ['Sec-WebSocket-Key'] }; }, field: 'spec.requestHeaders.remove[0]' },
  { layer: 'semantic', name: 'bad header name to set', edit: (d) => { spec(d).requestHeaders = { set: { 'X A': '1' } }; }, field: 'spec.requestHeaders.set["X A"]', reason: 'not a valid HTTP header name' },
  { layer: 'semantic', name: 'header both added and removed', edit: (d) => { spec(d).requestHeaders = { add: { 'X-A': '1' }, remove: ['x-a'] }; }, field: 'spec.requestHeaders.remove[0]', reason: 'same header' },
  { layer: 'semantic', name: 'maxBytes 0', edit: (d) => { spec(d).messages = { maxBytes: 0 }; }, field: 'spec.messages.maxBytes', reason: 'at least 1 byte' },
  { layer: 'semantic', name: 'byteRate beyond 2^53', edit: (d) => { spec(d).messages = { byteRate: { perSecond: '9999999999999999Ti' } }; }, field: 'spec.messages.byteRate.perSecond', reason: 'below 2^53' },
  { layer: 'semantic', name: 'pingInterval 0s', edit: (d) => { spec(d).keepalive = { pingInterval: '0s' }; }, field: 'spec.keepalive.pingInterval', reason: 'greater than 0' },
  { layer: 'semantic', name: 'pongTimeout beyond the timer limit', edit: (d) => { spec(d).keepalive = { pingInterval: '1s', pongTimeout: '600h' }; }, field: 'spec.keepalive.pongTimeout', reason: 'longest timer' },
  { layer: 'semantic', name: 'per-client above total', edit: (d) => { spec(d).limits = { maxConnections: 5, maxConnectionsPerClient: 6 }; }, field: 'spec.limits.maxConnectionsPerClient', reason: 'maxConnections' },
  { layer: 'semantic', name: 'set X-Forwarded-For', edit: (d) => { spec(d).requestHeaders = { set: { 'X-Forwarded-For': '1.2.3.4' } }; }, field: 'spec.requestHeaders.set["X-Forwarded-For"]', reason: 'sets this header itself' },
  { layer: 'semantic', name: 'remove Content-Length', edit: (d) => { spec(d).requestHeaders = { remove: ['Content-Length'] }; }, field: 'spec.requestHeaders.remove[0]', reason: 'framing of the request' },
  { layer: 'semantic', name: 'set Transfer-Encoding', edit: (d) => { spec(d).requestHeaders = { set: { 'Transfer-Encoding': 'chunked' } }; }, field: 'spec.requestHeaders.set["Transfer-Encoding"]', reason: 'framing of the request' },
  { layer: 'semantic', name: 'set Forwarded', edit: (d) => { spec(d).requestHeaders = { set: { Forwarded: 'for=1.2.3.4' } }; }, field: 'spec.requestHeaders.set.Forwarded', reason: 'sets this header itself' },
  { layer: 'semantic', name: 'add X-Real-IP', edit: (d) => { spec(d).requestHeaders = { add: { 'X-Real-IP': '1.2.3.4' } }; }, field: 'spec.requestHeaders.add["X-Real-IP"]', reason: 'sets this header itself' },
  { layer: 'semantic', name: 'remove traceparent', edit: (d) => { spec(d).requestHeaders = { remove: ['traceparent'] }; }, field: 'spec.requestHeaders.remove[0]', reason: 'sets this header itself' },
  { layer: 'semantic', name: 'claim forwarded to a handshake header', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, forwardClaims: { sub: 'Sec-WebSocket-Protocol' } } } }; }, field: 'spec.security.auth.jwt.forwardClaims.sub', reason: 'manages this header' },
  { layer: 'semantic', name: 'claim forwarded to a header a rule sets', edit: (d) => { spec(d).requestHeaders = { set: { 'X-User': 'x' } }; spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, forwardClaims: { sub: 'x-user' } } } }; }, field: 'spec.security.auth.jwt.forwardClaims.sub', reason: 'same header' },
  { layer: 'semantic', name: 'api key in the Connection header', edit: (d) => { spec(d).security = { auth: { apiKeys: { secretRef: { name: 'k' }, header: 'Connection' } } }; }, field: 'spec.security.auth.apiKeys.header', reason: 'cannot carry an API key' },
  { layer: 'semantic', name: 'clockSkew beyond the timer limit', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, clockSkew: '600h' } } }; }, field: 'spec.security.auth.jwt.clockSkew', reason: 'longest timer' },
  { layer: 'semantic', name: 'empty claim name', edit: (d) => { spec(d).security = { auth: { jwt: { secretRef: { name: 'a' }, requiredClaims: { '': ['x'] } } } }; }, field: 'spec.security.auth.jwt.requiredClaims[""]', reason: 'must not be empty' },
  { layer: 'semantic', name: 'origin in uppercase', edit: (d) => { spec(d).security = { allowedOrigins: ['https://App.example.com'] }; }, field: 'spec.security.allowedOrigins[0]', reason: 'as browsers send it' },
  { layer: 'semantic', name: 'origin with default port', edit: (d) => { spec(d).security = { allowedOrigins: ['https://a.com:443'] }; }, field: 'spec.security.allowedOrigins[0]' },
  { layer: 'schema', name: 'http without methods', edit: (d) => { spec(d).http = {}; }, field: 'spec.http.methods' },
  { layer: 'schema', name: 'http with no method', edit: (d) => { spec(d).http = { methods: [] }; }, field: 'spec.http.methods' },
  { layer: 'schema', name: 'http retry code 302', edit: (d) => { spec(d).http = { methods: ['GET'], retry: { codes: [302] } }; }, field: 'spec.http.retry.codes[0]' },
  { layer: 'schema', name: 'http retry code 600', edit: (d) => { spec(d).http = { methods: ['GET'], retry: { codes: [500, 600] } }; }, field: 'spec.http.retry.codes[1]' },
  { layer: 'schema', name: 'http retry attempts 0', edit: (d) => { spec(d).http = { methods: ['GET'], retry: { attempts: 0 } }; }, field: 'spec.http.retry.attempts' },
  { layer: 'schema', name: 'http retry attempts 11', edit: (d) => { spec(d).http = { methods: ['GET'], retry: { attempts: 11 } }; }, field: 'spec.http.retry.attempts' },
  { layer: 'schema', name: 'http retry backoff soon', edit: (d) => { spec(d).http = { methods: ['GET'], retry: { backoff: 'soon' } }; }, field: 'spec.http.retry.backoff' },
  { layer: 'semantic', name: 'http retry backoff beyond a Node.js timer', edit: (d) => { spec(d).http = { methods: ['GET'], retry: { backoff: '600h' } }; }, field: 'spec.http.retry.backoff', reason: 'longest timer' },
  { layer: 'schema', name: 'http method TRACE', edit: (d) => { spec(d).http = { methods: ['GET', 'TRACE'] }; }, field: 'spec.http.methods[1]', reason: 'one of GET' },
  { layer: 'schema', name: 'affinity without cookie', edit: (d) => { spec(d).sessionAffinity = {}; }, field: 'spec.sessionAffinity.cookie' },
  { layer: 'schema', name: 'affinity secure as a boolean', edit: (d) => { spec(d).sessionAffinity = { cookie: { secure: true } }; }, field: 'spec.sessionAffinity.cookie.secure', alsoFields: ['spec.sessionAffinity'] },
  { layer: 'schema', name: 'affinity cookie name not a token', edit: (d) => { spec(d).sessionAffinity = { cookie: { name: 'a b' } }; }, field: 'spec.sessionAffinity.cookie.name' },
  { layer: 'schema', name: 'affinity path with a semicolon', edit: (d) => { spec(d).sessionAffinity = { cookie: { path: '/a;b' } }; }, field: 'spec.sessionAffinity.cookie.path' },
  { layer: 'schema', name: 'affinity sameSite lowercase', edit: (d) => { spec(d).sessionAffinity = { cookie: { sameSite: 'lax' } }; }, field: 'spec.sessionAffinity.cookie.sameSite' },
  { layer: 'cel', name: 'affinity sameSite None, secure false', edit: (d) => { spec(d).sessionAffinity = { cookie: { sameSite: 'None', secure: 'false' } }; }, field: 'spec.sessionAffinity.cookie.secure', reason: 'requires a Secure cookie' },
  { layer: 'cel', name: 'affinity with ConsistentHash', edit: (d) => { spec(d).loadBalancer = { policy: 'ConsistentHash', hashOn: { header: 'x' } }; spec(d).sessionAffinity = { cookie: {} }; }, field: 'spec.sessionAffinity', reason: 'ConsistentHash' },
  { layer: 'semantic', name: 'affinity maxAge 0s', edit: (d) => { spec(d).sessionAffinity = { cookie: { maxAge: '0s' } }; }, field: 'spec.sessionAffinity.cookie.maxAge' },
];

export function applyCase(c: RouteCase): Record<string, any> {
  const doc = baseRoute();
  c.edit(doc);
  return doc;
}
