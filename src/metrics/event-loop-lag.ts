// Event-loop delay of one thread, as a gauge labelled by thread: prom-client's default
// nodejs_eventloop_lag_* describe the main thread only, while with --workers N the connections
// are served by the workers' loops. Every thread registers its own series in its own registry;
// the merged scrape (process.ts) then has one set per thread.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/** Starts measuring this thread's event-loop delay; stats since the previous scrape. */
export function registerEventLoopLag(registry: Registry, thread: string): void {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  new Gauge({
    name: 'wsgate_event_loop_lag_seconds',
    help: 'Event-loop delay of each thread (main, worker-N) since the previous scrape: p50, p99 and max.',
    labelNames: ['thread', 'stat'] as const,
    registers: [registry],
    collect() {
      // No sample yet (the first scrape right after start): nothing to report rather than 0.
      if (histogram.count === 0) return;
      this.set({ thread, stat: 'p50' }, histogram.percentile(50) / 1e9);
      this.set({ thread, stat: 'p99' }, histogram.percentile(99) / 1e9);
      this.set({ thread, stat: 'max' }, histogram.max / 1e9);
      histogram.reset();
    },
  });
}
