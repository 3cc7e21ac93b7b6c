// A worker thread of `--workers N`: one data plane (proxy listener bound with reusePort, TLS
// listener, admission guard, metrics) fed with the main thread's table snapshots, counting
// connections, ejections and limits in the counters every worker shares.

import { parentPort, threadId, workerData } from 'node:worker_threads';
import { DataPlane } from './data-plane.js';
import { BatchedDestination } from '../log/destination.js';
import { pino, type LevelWithSilent } from 'pino';
import { Metrics } from '../metrics/registry.js';
import { compile } from '../routing/compile.js';
import type { SecretResolver } from '../routing/types.js';
import type { FromWorker, ToWorker, WorkerInit, WorkerStats } from './messages.js';
import { SharedEndpointHealth } from './shared-endpoint-health.js';
import { SharedEndpointLoad } from './shared-endpoint-load.js';
import { SharedLimiter } from './shared-limiter.js';
import { SharedRouteCursors } from './shared-route-cursors.js';
import { SlotMap } from './slot-map.js';
import { applyRebalance, countForRebalance } from './rebalance.js';
import { asBuffer, snapshotInput } from './snapshot.js';
import { heapPermille } from '../overload/manager.js';
import { ProcessCounters } from '../overload/process-counters.js';

const init = workerData as WorkerInit;
const port = parentPort!;
// As src/logger.ts (not imported: src/ root modules sit above this directory), plus the worker's
// index; batched as the main thread's, and flushed when the worker exits (log/destination.ts).
const log = pino({ level: init.logLevel as LevelWithSilent, base: { app: 'wsgate', worker: init.index } }, new BatchedDestination(2));
// A worker never leads nor talks to a controller: those series come from the main thread.
const metrics = new Metrics({ defaultMetrics: false, thread: `worker-${init.index}`, omit: ['controller', 'proxyStream'] });
const slots = new SlotMap();
const load = new SharedEndpointLoad(init.buffers, slots);
const counters = new ProcessCounters(init.buffers.process);
if (init.overload) {
  // This worker's heap is its own: the main thread's overload manager sees it through this.
  const heapReporter = setInterval(() => counters.reportHeap(heapPermille()), 250);
  heapReporter.unref();
}
const plane = new DataPlane({
  logger: log,
  metrics,
  maxHeaderSize: init.maxHeaderSize,
  endpointMetrics: init.endpointMetrics,
  security: init.security,
  affinityKey: asBuffer(init.affinityKey),
  affinityKeyGraceMs: init.affinityKeyGraceMs,
  load,
  health: new SharedEndpointHealth(init.buffers, slots),
  limiter: new SharedLimiter(init.buffers),
  cursors: new SharedRouteCursors(init.buffers, slots),
  // The main thread plans rebalancing over every worker's connections.
  rebalance: false,
  ...(init.overload ? { overload: { ...init.overload, counters } } : {}),
});
let secrets: SecretResolver | undefined;
let version = 0;

const send = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'table': {
      // Slots first: a connection to a new endpoint counts on its shared slot from the start.
      slots.set(m.slots.epoch, m.slots.slots, m.slots.routes);
      load.remap();
      const input = snapshotInput(m.snapshot);
      const out = compile(input);
      secrets = input.resolveSecret;
      plane.setTable(out.table, secrets);
      version = out.table.version;
      log.debug({ version, routes: out.table.routes.length }, 'worker table applied');
      send({ type: 'applied', version });
      send({ type: 'slots-acked', epoch: m.slots.epoch });
      return;
    }
    case 'slots':
      slots.set(m.slots.epoch, m.slots.slots, m.slots.routes);
      load.remap();
      send({ type: 'slots-acked', epoch: m.slots.epoch });
      return;
    case 'affinity-key':
      plane.setAffinityKey(asBuffer(m.key));
      return;
    case 'listen':
      plane.listen(m.listen, secrets, true).then(
        (bound) => send({ type: 'listening', ...bound }),
        (err: unknown) => send({ type: 'failed', message: (err as Error).message }),
      );
      return;
    case 'request': {
      if (m.what === 'metrics') {
        metrics.registry.getMetricsAsJSON().then((data) => send({ type: 'reply', id: m.id, data }));
      } else if (m.what === 'rebalance-counts') {
        send({ type: 'reply', id: m.id, data: countForRebalance(plane.proxy.connections, plane.getTable()) });
      } else {
        const stats: WorkerStats = { index: init.index, threadId, version, connections: plane.proxy.connections.size, endpoints: load.local() };
        send({ type: 'reply', id: m.id, data: stats });
      }
      return;
    }
    case 'rebalance':
      applyRebalance(plane.proxy.connections, m.plan);
      return;
    case 'shutdown':
      log.info({ graceMs: m.graceMs, connections: plane.proxy.connections.size }, 'worker shutting down');
      plane.shutdown(m.graceMs).then(() => {
        send({ type: 'stopped' });
        port.close();
      });
      return;
    case 'stop':
      plane.stop().then(() => {
        send({ type: 'stopped' });
        port.close();
      });
      return;
  }
});
