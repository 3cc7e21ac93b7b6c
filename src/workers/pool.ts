// The main thread's side of `--workers N`: starts N worker threads, each with its own data
// plane on the same port (reusePort: the kernel spreads new connections over the listeners),
// posts every one of them the same table snapshot, asks them for metrics and stats, and shuts
// them down together. A worker that dies on its own is fatal for the process: its connections
// would stay counted in the shared counters, so the process exits and is restarted.

import net from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { HostPort } from './data-plane.js';
import type { FromWorker, SlotMapping, ToWorker, WorkerInit, WorkerQuery } from './messages.js';
import type { RouteEndpointCounts } from './rebalance.js';
import type { TableSnapshot } from './snapshot.js';

export interface WorkerPoolOptions {
  count: number;
  init: Omit<WorkerInit, 'index'>;
  log: Logger;
  /** A worker exited or failed while the process was not stopping. */
  onFatal: (err: Error) => void;
  /** A worker acknowledged a table or a slot mapping. */
  onAck?: () => void;
}

class Handle {
  version = 0;
  epoch = 0;
  readonly replies = new Map<number, (data: unknown) => void>();
  readonly exited: Promise<void>;
  listening: ((m: Extract<FromWorker, { type: 'listening' | 'failed' }>) => void) | undefined;
  stopped = false;

  constructor(
    readonly index: number,
    readonly worker: Worker,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }
}

export class WorkerPool {
  private readonly handles: Handle[] = [];
  private latestTable: { snapshot: TableSnapshot; slots: SlotMapping } | undefined;
  private latestSlots: SlotMapping | undefined;
  private nextId = 1;
  private stopping = false;
  private started = false;

  /** The threads start at once: their module loading overlaps the main thread's first compile. */
  constructor(private readonly opts: WorkerPoolOptions) {
    for (let i = 0; i < opts.count; i++) this.spawn(i);
  }

  get size(): number {
    return this.opts.count;
  }

  /** Starts the workers and binds their listeners; with port 0 the port is chosen here first. */
  async start(listen: HostPort, tlsListen: HostPort | undefined): Promise<{ proxy: HostPort; tls?: HostPort }> {
    this.started = true;
    const proxyPort = await reservePort(listen);
    const tlsPort = tlsListen ? await reservePort(tlsListen) : undefined;
    try {
      const bound = await Promise.all(
        this.handles.map(
          (h) =>
            new Promise<Extract<FromWorker, { type: 'listening' }>>((resolve, reject) => {
              h.listening = (m) => (m.type === 'listening' ? resolve(m) : reject(new Error(`worker ${h.index}: ${m.message}`)));
              h.post({ type: 'listen', listen: { host: listen.host, port: proxyPort.port }, ...(tlsListen && tlsPort ? { tlsListen: { host: tlsListen.host, port: tlsPort.port } } : {}) });
            }),
        ),
      );
      const first = bound[0]!;
      return { proxy: first.proxy, ...(first.tls ? { tls: first.tls } : {}) };
    } finally {
      // The workers hold the ports now; the placeholders never accepted anything.
      proxyPort.release();
      tlsPort?.release();
    }
  }

  private spawn(index: number): void {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { ...this.opts.init, index } satisfies WorkerInit });
    const h = new Handle(index, worker);
    this.handles.push(h);
    worker.on('message', (m: FromWorker) => this.onMessage(h, m));
    worker.on('error', (err) => {
      this.opts.log.error({ err, worker: index }, 'worker thread failed');
      if (!this.stopping) this.opts.onFatal(err);
    });
    worker.once('exit', (code) => {
      if (this.stopping || h.stopped) return;
      const err = new Error(`worker ${index} exited with code ${code}`);
      this.opts.log.error({ worker: index, code }, 'worker thread exited; the process stops (its counters cannot be repaired)');
      this.opts.onFatal(err);
    });
    // A worker started after the first table gets the current one at once.
    if (this.latestTable) h.post({ type: 'table', ...this.latestTable, slots: this.latestSlots ?? this.latestTable.slots });
  }

  private onMessage(h: Handle, m: FromWorker): void {
    switch (m.type) {
      case 'listening':
      case 'failed':
        h.listening?.(m);
        h.listening = undefined;
        return;
      case 'applied':
        h.version = Math.max(h.version, m.version);
        this.opts.onAck?.();
        return;
      case 'slots-acked':
        h.epoch = Math.max(h.epoch, m.epoch);
        this.opts.onAck?.();
        return;
      case 'reply': {
        const r = h.replies.get(m.id);
        h.replies.delete(m.id);
        r?.(m.data);
        return;
      }
      case 'stopped':
        h.stopped = true;
        return;
    }
  }

  /** Posts a table (and the slot mapping that goes with it) to every worker. */
  postTable(snapshot: TableSnapshot, slots: SlotMapping): void {
    this.latestTable = { snapshot, slots };
    this.latestSlots = slots;
    for (const h of this.handles) h.post({ type: 'table', snapshot, slots });
  }

  /** Every worker signs affinity cookies with `key` from now on. */
  postAffinityKey(key: Buffer): void {
    for (const h of this.handles) h.post({ type: 'affinity-key', key });
  }

  postSlots(slots: SlotMapping): void {
    this.latestSlots = slots;
    for (const h of this.handles) h.post({ type: 'slots', slots });
  }

  /** The oldest table version any worker serves (0 before they all have one). */
  appliedVersion(): number {
    if (this.handles.length < this.opts.count) return 0;
    return Math.min(...this.handles.map((h) => h.version));
  }

  /** The lowest slot-mapping epoch every worker acknowledged. */
  ackedEpoch(): number {
    if (this.handles.length < this.opts.count) return 0;
    return Math.min(...this.handles.map((h) => h.epoch));
  }

  /** Asks every running worker; a worker that does not answer within `timeoutMs` is left out. */
  async request<T>(what: WorkerQuery, timeoutMs = 5000): Promise<T[]> {
    const answers = await Promise.all(
      this.handles
        .filter((h) => !h.stopped)
        .map(
          (h) =>
            new Promise<T | undefined>((resolve) => {
              const id = this.nextId++;
              const timer = setTimeout(() => {
                h.replies.delete(id);
                resolve(undefined);
              }, timeoutMs);
              h.replies.set(id, (data) => {
                clearTimeout(timer);
                resolve(data as T);
              });
              h.post({ type: 'request', id, what });
            }),
        ),
    );
    return answers.filter((a): a is Awaited<T> => a !== undefined) as T[];
  }

  /**
   * Asks every worker for its counts and posts each its share of the closes; all workers must
   * answer (a partial view would plan wrong), else nothing happens this round.
   */
  async rebalance(plan: (perWorker: RouteEndpointCounts[]) => RouteEndpointCounts[]): Promise<void> {
    const running = this.handles.filter((h) => !h.stopped);
    if (this.stopping || running.length < this.opts.count) return;
    const counts = await this.request<RouteEndpointCounts>('rebalance-counts', 900);
    if (counts.length !== running.length || this.stopping) return;
    const plans = plan(counts);
    for (const [i, h] of running.entries()) if (Object.keys(plans[i]!).length > 0) h.post({ type: 'rebalance', plan: plans[i]! });
  }

  /** SIGTERM: every worker drains within `graceMs` (then 1001); resolves when all have exited. */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const h of this.handles) h.post({ type: 'shutdown', graceMs });
    // A worker's own bound is grace + 6 s for the 1001 closes; past that it is terminated.
    await Promise.all(this.handles.map((h) => bounded(h, graceMs + 10_000)));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Never listened (a refused first file): nothing to close gracefully.
    if (!this.started) {
      await Promise.all(this.handles.map((h) => h.worker.terminate()));
      return;
    }
    for (const h of this.handles) h.post({ type: 'stop' });
    await Promise.all(this.handles.map((h) => bounded(h, 5000)));
  }
}

async function bounded(h: Handle, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const r = await Promise.race([h.exited, late]);
  clearTimeout(timer);
  if (r === 'late') await h.worker.terminate();
}

/**
 * Port 0: binds it here with reusePort to learn the port the workers then bind too; released
 * once they listen (nobody knows the port before, so the placeholder takes no connection).
 */
function reservePort(at: HostPort): Promise<{ port: number; release: () => void }> {
  if (at.port !== 0) return Promise.resolve({ port: at.port, release: () => {} });
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ host: at.host, port: 0, reusePort: true }, () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, release: () => server.close() });
    });
  });
}
