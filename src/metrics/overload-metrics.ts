// Process-wide gauges of the overload protection, registered once (the main thread's registry:
// with --workers N the counters are shared, so a worker registering them too would count them N
// times in the merged scrape). Read at scrape time; nothing is updated per connection.

import { Gauge, type Registry } from 'prom-client';

export interface OverloadGaugeSource {
  /** WebSocket connections of the process (upgrades in progress and established), every worker. */
  connections(): number;
  /** --max-connections (0: no cap). */
  maxConnections: number;
  /** The overload manager's state: 0 normal, 1 refusing, 2 shedding. */
  state(): number;
  /** Fraction of the memory limit in use at the last check (the highest of cgroup and heaps). */
  pressure(): number;
}

export function registerOverloadGauges(registry: Registry, src: OverloadGaugeSource): void {
  new Gauge({
    name: 'wsgate_connections',
    help: 'WebSocket connections of this pod (every worker; upgrades in progress included): the per-pod figure to autoscale on.',
    registers: [registry],
    collect() {
      this.set(src.connections());
    },
  });
  new Gauge({
    name: 'wsgate_max_connections',
    help: 'The --max-connections of this pod (0: no cap); upgrades past it get 503.',
    registers: [registry],
    collect() {
      this.set(src.maxConnections);
    },
  });
  new Gauge({
    name: 'wsgate_overload_state',
    help: 'Memory overload manager: 0 normal, 1 refusing new upgrades and large bodies, 2 also closing the newest connections with 1013.',
    registers: [registry],
    collect() {
      this.set(src.state());
    },
  });
  new Gauge({
    name: 'wsgate_memory_pressure_ratio',
    help: 'Fraction of the memory limit in use at the overload manager\'s last check: the highest of cgroup working set / limit and V8 heap used / heap limit.',
    registers: [registry],
    collect() {
      this.set(src.pressure());
    },
  });
}
