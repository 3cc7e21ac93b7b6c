// Every wsgate_ metric in one place. Labels never include a connection, client address or
// request id: series count stays bounded by routes x endpoints.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerEventLoopLag } from './event-loop-lag.js';
import { OpenConnectionCounts } from './open-connections.js';

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

  /** What the two open-connection gauges report, counted by the proxy observer. */
  readonly openConnections = new OpenConnectionCounts();

  readonly connectionsActive = this.gaugeOf(
    'wsgate_connections_active',
    'Established WebSocket connections, per route.',
    ['namespace', 'route'],
    () => this.openConnections.routes(),
  );

  readonly upgrades = this.counter(
    'wsgate_upgrades_total',
    'WebSocket upgrade requests by outcome and by what the client spoke (http/1.1 Upgrade, h2 extended CONNECT).',
    ['namespace', 'route', 'result', 'protocol'],
  );

  readonly upgradeDuration = this.histogram(
    'wsgate_upgrade_duration_seconds',
    'Time from the upgrade request to its answer (101 relayed or error sent).',
    ['namespace', 'route'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );

  readonly connectionDuration = this.histogram(
    'wsgate_connection_duration_seconds',
    'Lifetime of closed WebSocket connections.',
    ['namespace', 'route'],
    [1, 10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
  );

  readonly bytes = this.counter(
    'wsgate_bytes_total',
    'Bytes relayed, counted as they flow (at least once a second per open connection); direction is upstream (client to backend) or downstream.',
    ['namespace', 'route', 'direction'],
  );

  readonly messages = this.counter(
    'wsgate_messages_total',
    'WebSocket data messages relayed (a fragmented message counts once), counted as they flow; direction as for wsgate_bytes_total.',
    ['namespace', 'route', 'direction'],
  );

  readonly messageLimits = this.counter(
    'wsgate_message_limit_total',
    'Message limits hit (spec.messages, spec.keepalive): size and pong close the connection, rate and byteRate close it or throttle the client.',
    ['namespace', 'route', 'limit'],
  );

  readonly pings = this.counter(
    'wsgate_pings_total',
    'Keepalive pings wsgate sent, by result: pong (answered) or timeout (connection closed).',
    ['namespace', 'route', 'result'],
  );

  readonly closes = this.counter(
    'wsgate_closes_total',
    'Closed connections by WebSocket close code (wsgate\'s own, else the backend\'s, else the client\'s; 1006 = no close frame). Codes 1000-1015 as they are, 3000-3999 as 3xxx, 4000-4999 as 4xxx, anything else as other.',
    ['namespace', 'route', 'code'],
  );

  readonly overloadActions = this.counter(
    'wsgate_overload_actions_total',
    'What the memory overload manager made the data plane do: refuse_upgrade, refuse_body (503s), close_connection (1013 closes of the newest connections).',
    ['action'],
  );

  readonly lifecycleCloses = this.counter(
    'wsgate_lifecycle_closes_total',
    'Connections wsgate closed itself, by reason (drain, shutdown, idle_timeout, max_lifetime, rebalance, message_size, backend_message_size, message_rate, byte_rate, pong_timeout).',
    ['namespace', 'route', 'reason'],
  );

  readonly ejections = this.counter(
    'wsgate_endpoint_ejections_total',
    'Endpoints taken out of rotation by passive health after a connect or handshake failure.',
    ['namespace', 'route'],
  );

  readonly backendConnections = this.gaugeOf(
    'wsgate_backend_connections_active',
    'Established connections per endpoint; series are removed when the endpoint leaves the table.',
    ['namespace', 'route', 'endpoint'],
    () => this.openConnections.series(),
  );

  readonly h2Sessions = this.gauge(
    'wsgate_h2_sessions',
    'Open HTTP/2 connections from clients (TLS with ALPN h2, and h2c), every listener.',
  );

  readonly h2Streams = this.gauge(
    'wsgate_h2_streams',
    'Open HTTP/2 streams by what they carry: websocket (RFC 8441 extended CONNECT) or request.',
    ['kind'],
  );

  readonly httpRequests = this.counter(
    'wsgate_http_requests_total',
    'Plain (non-upgrade) HTTP requests by method, the status answered (499: the client left first) and the protocol (http/1.1, h2).',
    ['namespace', 'route', 'method', 'code', 'protocol'],
  );

  readonly httpRetries = this.counter(
    'wsgate_http_retries_total',
    'Plain requests tried again, by why: status (an HTTPRoute retry code, that response dropped), connection_error, backend_timeout.',
    ['namespace', 'route', 'reason'],
  );

  readonly httpRequestDuration = this.histogram(
    'wsgate_http_request_duration_seconds',
    'Plain HTTP requests: time from the request to the end of the response (long polls and event streams included).',
    ['namespace', 'route'],
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  );

  readonly affinity = this.counter(
    'wsgate_affinity_total',
    'Requests on routes with session affinity: hit (the cookie named a usable endpoint), miss (no cookie), stale (a cookie naming no usable endpoint: forged, expired or gone).',
    ['namespace', 'route', 'result'],
  );

  readonly affinityKeyChanges = this.counter(
    'wsgate_affinity_key_changes_total',
    'Times the session-affinity key changed while running, by where the new key came from (file: --affinity-key-file, secret: the key Secret, stream: the controller); cookies of the previous key stay valid for --affinity-key-grace.',
    ['source'],
  );

  readonly affinityKeyLastChange = this.gauge(
    'wsgate_affinity_key_last_change_timestamp_seconds',
    'Unix time the session-affinity key last changed while running (absent until it does).',
  );

  readonly routes = this.gauge(
    'wsgate_routes',
    'Routes in the current table by state (accepted, rejected).',
    ['state'],
  );

  readonly endpoints = this.gauge(
    'wsgate_endpoints',
    'Endpoints per route by state (ready, not_ready, terminating).',
    ['namespace', 'route', 'state'],
  );

  readonly configReloads = this.counter(
    'wsgate_config_reloads_total',
    'Routing table rebuilds from a source, by result (success, failure).',
    ['result'],
  );

  readonly tableLastUpdate = this.gauge(
    'wsgate_routing_table_last_update_timestamp_seconds',
    'Unix time of the last routing table swap.',
  );

  readonly reconcileDuration = this.histogram(
    'wsgate_reconcile_duration_seconds',
    'Controller: time to compile the cluster state into a routing table and swap it in.',
    [],
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  );

  readonly leader = this.gauge(
    'wsgate_leader',
    'Controller: 1 while this replica holds the leader lease (writes status), else 0.',
  );

  readonly watchErrors = this.counter(
    'wsgate_watch_errors_total',
    'Controller: watch or list failures against the API server (each is retried with backoff).',
  );

  readonly certificateExpiry = this.gauge(
    'wsgate_tls_certificate_expiry_timestamp_seconds',
    'When each TLS certificate served from a Secret (routes\' spec.tls, Gateway listeners) expires, in seconds since the epoch; series of Secrets no longer in the table are removed.',
    ['secret'],
  );

  readonly gatewaySocketBindErrors = this.counter(
    'wsgate_gateway_socket_bind_errors_total',
    'Gateway sockets that could not be bound (EADDRINUSE, EACCES, ...), by socket key and error code; each is retried with the next routing table.',
    ['listener', 'code'],
  );

  readonly proxyProtocolRefused = this.counter(
    'wsgate_proxy_protocol_refused_total',
    'Connections closed by --proxy-protocol before the server saw them, by reason (malformed: a balancer\'s header that does not parse; missing: a balancer sent no header; not_allowed: a header from a peer outside the CIDRs; timeout: no header decided within the handshake timeout).',
    ['reason'],
  );

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

  readonly controllerConnected = this.gauge(
    'wsgate_controller_connected',
    'Proxy (split mode): 1 while the snapshot stream to a controller is up, else 0 (the last table keeps serving).',
  );

  readonly snapshotSubscribers = this.gauge(
    'wsgate_snapshot_subscribers',
    'Controller (split mode): proxies connected to this replica\'s snapshot stream.',
  );

  readonly snapshotStreamsRefused = this.counter(
    'wsgate_snapshot_streams_refused_total',
    'Controller (split mode): snapshot stream connections refused, by reason (handshake: no certificate or not this install\'s; identity: not a proxy\'s).',
    ['reason'],
  );

  // One shape for every declaration above: each metric registers in this process's registry.
  private counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge set from `values` when scraped (or read by a worker's aggregation), never per event. */
  private gaugeOf<L extends string>(name: string, help: string, labelNames: readonly L[], values: () => Iterable<[Partial<Record<L, string>>, number]>): Gauge<L> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, n] of values()) this.set(labels, n);
      },
    });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

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
