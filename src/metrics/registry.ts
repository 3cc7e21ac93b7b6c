// Every wsgate_ metric in one place. Labels never include a connection, client address or
// request id: series count stays bounded by routes x endpoints.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerEventLoopLag } from './event-loop-lag.js';

/** Metrics only one kind of process sets. */
const METRIC_GROUPS = {
  /** Set by the controller (single process or --no-proxy). */
  controller: ['wsgate_reconcile_duration_seconds', 'wsgate_leader', 'wsgate_watch_errors_total', 'wsgate_snapshot_subscribers', 'wsgate_snapshot_streams_refused_total'],
  /** Set by `wsgate proxy` about its stream. */
  proxyStream: ['wsgate_snapshot_age_seconds', 'wsgate_controller_connected'],
  /** Set by a data plane (a controller with --no-proxy has none). */
  dataPlane: [
    'wsgate_connections_active',
    'wsgate_upgrades_total',
    'wsgate_upgrade_duration_seconds',
    'wsgate_connection_duration_seconds',
    'wsgate_bytes_total',
    'wsgate_closes_total',
    'wsgate_overload_actions_total',
    'wsgate_lifecycle_closes_total',
    'wsgate_endpoint_ejections_total',
    'wsgate_backend_connections_active',
    'wsgate_http_requests_total',
    'wsgate_http_retries_total',
    'wsgate_h2_sessions',
    'wsgate_h2_streams',
    'wsgate_http_request_duration_seconds',
    'wsgate_affinity_total',
    'wsgate_gateway_socket_bind_errors_total',
    'wsgate_proxy_protocol_refused_total',
  ],
} as const;

export class Metrics {
  readonly registry = new Registry();

  readonly connectionsActive = new Gauge({
    name: 'wsgate_connections_active',
    help: 'Established WebSocket connections, per route.',
    labelNames: ['namespace', 'route'] as const,
    registers: [this.registry],
  });

  readonly upgrades = new Counter({
    name: 'wsgate_upgrades_total',
    help: 'WebSocket upgrade requests by outcome and by what the client spoke (http/1.1 Upgrade, h2 extended CONNECT).',
    labelNames: ['namespace', 'route', 'result', 'protocol'] as const,
    registers: [this.registry],
  });

  readonly upgradeDuration = new Histogram({
    name: 'wsgate_upgrade_duration_seconds',
    help: 'Time from the upgrade request to its answer (101 relayed or error sent).',
    labelNames: ['namespace', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly connectionDuration = new Histogram({
    name: 'wsgate_connection_duration_seconds',
    help: 'Lifetime of closed WebSocket connections.',
    labelNames: ['namespace', 'route'] as const,
    buckets: [1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
    registers: [this.registry],
  });

  readonly bytes = new Counter({
    name: 'wsgate_bytes_total',
    help: 'Bytes relayed, counted as they flow (at least once a second per open connection); direction is upstream (client to backend) or downstream.',
    labelNames: ['namespace', 'route', 'direction'] as const,
    registers: [this.registry],
  });

  readonly messages = new Counter({
    name: 'wsgate_messages_total',
    help: 'WebSocket data messages relayed (a fragmented message counts once), counted as they flow; direction as for wsgate_bytes_total.',
    labelNames: ['namespace', 'route', 'direction'] as const,
    registers: [this.registry],
  });

  readonly messageLimits = new Counter({
    name: 'wsgate_message_limit_total',
    help: 'Message limits hit (spec.messages, spec.keepalive): size and pong close the connection, rate and byteRate close it or throttle the client.',
    labelNames: ['namespace', 'route', 'limit'] as const,
    registers: [this.registry],
  });

  readonly pings = new Counter({
    name: 'wsgate_pings_total',
    help: 'Keepalive pings wsgate sent, by result: pong (answered) or timeout (connection closed).',
    labelNames: ['namespace', 'route', 'result'] as const,
    registers: [this.registry],
  });

  readonly closes = new Counter({
    name: 'wsgate_closes_total',
    help: 'Closed connections by WebSocket close code (wsgate\'s own, else the backend\'s, else the client\'s; 1006 = no close frame). Codes 1000-1015 as they are, 3000-3999 as 3xxx, 4000-4999 as 4xxx, anything else as other.',
    labelNames: ['namespace', 'route', 'code'] as const,
    registers: [this.registry],
  });

  readonly overloadActions = new Counter({
    name: 'wsgate_overload_actions_total',
    help: 'What the memory overload manager made the data plane do: refuse_upgrade, refuse_body (503s), close_connection (1013 closes of the newest connections).',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly lifecycleCloses = new Counter({
    name: 'wsgate_lifecycle_closes_total',
    help: 'Connections wsgate closed itself, by reason (drain, shutdown, idle_timeout, max_lifetime, rebalance, message_size, backend_message_size, message_rate, byte_rate, pong_timeout).',
    labelNames: ['namespace', 'route', 'reason'] as const,
    registers: [this.registry],
  });

  readonly ejections = new Counter({
    name: 'wsgate_endpoint_ejections_total',
    help: 'Endpoints taken out of rotation by passive health after a connect or handshake failure.',
    labelNames: ['namespace', 'route'] as const,
    registers: [this.registry],
  });

  readonly backendConnections = new Gauge({
    name: 'wsgate_backend_connections_active',
    help: 'Established connections per endpoint; series are removed when the endpoint leaves the table.',
    labelNames: ['namespace', 'route', 'endpoint'] as const,
    registers: [this.registry],
  });

  readonly h2Sessions = new Gauge({
    name: 'wsgate_h2_sessions',
    help: 'Open HTTP/2 connections from clients (TLS with ALPN h2, and h2c), every listener.',
    registers: [this.registry],
  });

  readonly h2Streams = new Gauge({
    name: 'wsgate_h2_streams',
    help: 'Open HTTP/2 streams by what they carry: websocket (RFC 8441 extended CONNECT) or request.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'wsgate_http_requests_total',
    help: 'Plain (non-upgrade) HTTP requests by method, the status answered (499: the client left first) and the protocol (http/1.1, h2).',
    labelNames: ['namespace', 'route', 'method', 'code', 'protocol'] as const,
    registers: [this.registry],
  });

  readonly httpRetries = new Counter({
    name: 'wsgate_http_retries_total',
    help: 'Plain requests tried again, by why: status (an HTTPRoute retry code, that response dropped), connection_error, backend_timeout.',
    labelNames: ['namespace', 'route', 'reason'] as const,
    registers: [this.registry],
  });

  readonly httpRequestDuration = new Histogram({
    name: 'wsgate_http_request_duration_seconds',
    help: 'Plain HTTP requests: time from the request to the end of the response (long polls and event streams included).',
    labelNames: ['namespace', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly affinity = new Counter({
    name: 'wsgate_affinity_total',
    help: 'Requests on routes with session affinity: hit (the cookie named a usable endpoint), miss (no cookie), stale (a cookie naming no usable endpoint: forged, expired or gone).',
    labelNames: ['namespace', 'route', 'result'] as const,
    registers: [this.registry],
  });

  readonly affinityKeyChanges = new Counter({
    name: 'wsgate_affinity_key_changes_total',
    help: 'Times the session-affinity key changed while running, by where the new key came from (file: --affinity-key-file, secret: the key Secret, stream: the controller); cookies of the previous key stay valid for --affinity-key-grace.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly affinityKeyLastChange = new Gauge({
    name: 'wsgate_affinity_key_last_change_timestamp_seconds',
    help: 'Unix time the session-affinity key last changed while running (absent until it does).',
    registers: [this.registry],
  });

  readonly routes = new Gauge({
    name: 'wsgate_routes',
    help: 'Routes in the current table by state (accepted, rejected).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly endpoints = new Gauge({
    name: 'wsgate_endpoints',
    help: 'Endpoints per route by state (ready, not_ready, terminating).',
    labelNames: ['namespace', 'route', 'state'] as const,
    registers: [this.registry],
  });

  readonly configReloads = new Counter({
    name: 'wsgate_config_reloads_total',
    help: 'Routing table rebuilds from a source, by result (success, failure).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly tableLastUpdate = new Gauge({
    name: 'wsgate_routing_table_last_update_timestamp_seconds',
    help: 'Unix time of the last routing table swap.',
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'wsgate_reconcile_duration_seconds',
    help: 'Controller: time to compile the cluster state into a routing table and swap it in.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'wsgate_leader',
    help: 'Controller: 1 while this replica holds the leader lease (writes status), else 0.',
    registers: [this.registry],
  });

  readonly watchErrors = new Counter({
    name: 'wsgate_watch_errors_total',
    help: 'Controller: watch or list failures against the API server (each is retried with backoff).',
    registers: [this.registry],
  });

  readonly certificateExpiry = new Gauge({
    name: 'wsgate_tls_certificate_expiry_timestamp_seconds',
    help: 'When each TLS certificate served from a Secret (routes\' spec.tls, Gateway listeners) expires, in seconds since the epoch; series of Secrets no longer in the table are removed.',
    labelNames: ['secret'] as const,
    registers: [this.registry],
  });

  readonly gatewaySocketBindErrors = new Counter({
    name: 'wsgate_gateway_socket_bind_errors_total',
    help: 'Gateway sockets that could not be bound (EADDRINUSE, EACCES, ...), by socket key and error code; each is retried with the next routing table.',
    labelNames: ['listener', 'code'] as const,
    registers: [this.registry],
  });

  readonly proxyProtocolRefused = new Counter({
    name: 'wsgate_proxy_protocol_refused_total',
    help: 'Connections closed by --proxy-protocol before the server saw them, by reason (malformed: a balancer\'s header that does not parse; missing: a balancer sent no header; not_allowed: a header from a peer outside the CIDRs; timeout: no header decided within the handshake timeout).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** Split mode, proxy: seconds since a controller last confirmed the served table (set by `wsgate proxy`). */
  snapshotAgeSource: (() => number) | undefined;

  readonly snapshotAge = new Gauge({
    name: 'wsgate_snapshot_age_seconds',
    help: 'Proxy (split mode): seconds since a controller last confirmed the routing table this proxy serves is its newest (by a snapshot or a heartbeat); since start before the first table. Grows while no controller is reachable.',
    registers: [this.registry],
    collect: () => {
      if (this.snapshotAgeSource) this.snapshotAge.set(this.snapshotAgeSource());
    },
  });

  readonly controllerConnected = new Gauge({
    name: 'wsgate_controller_connected',
    help: 'Proxy (split mode): 1 while the snapshot stream to a controller is up, else 0 (the last table keeps serving).',
    registers: [this.registry],
  });

  readonly snapshotSubscribers = new Gauge({
    name: 'wsgate_snapshot_subscribers',
    help: 'Controller (split mode): proxies connected to this replica\'s snapshot stream.',
    registers: [this.registry],
  });

  readonly snapshotStreamsRefused = new Counter({
    name: 'wsgate_snapshot_streams_refused_total',
    help: 'Controller (split mode): snapshot stream connections refused, by reason (handshake: no certificate or not this install\'s; identity: not a proxy\'s).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /**
   * `defaultMetrics: false` in worker threads: process metrics come from the main thread once.
   * `omit`: groups of metrics this process never sets, left out of its scrape (a proxy that
   * exported `wsgate_leader 0` would look like a controller without a leader to the alerts).
   * `thread`: the label of this thread's event-loop lag series (main, worker-N).
   */
  constructor(opts: { defaultMetrics?: boolean; thread?: string; omit?: ReadonlyArray<keyof typeof METRIC_GROUPS> } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    registerEventLoopLag(this.registry, opts.thread ?? 'main');
    for (const group of opts.omit ?? []) for (const name of METRIC_GROUPS[group]) this.registry.removeSingleMetric(name);
  }
}
