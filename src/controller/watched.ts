// One informer kept alive: client-node informers stop on any error other than 410 Gone, so
// this restarts them with capped exponential backoff, and knows a stop on purpose from a
// failure (stop() itself emits an AbortError).

import {
  ListWatch,
  Watch,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface WatchedOptions<T extends KubernetesObject> {
  kind: string;
  kc: KubeConfig;
  path: string;
  list: ListPromise<T>;
  labelSelector?: string;
  /** Applied to the watch by the informer; the list function must apply it too. */
  fieldSelector?: string;
  log: Logger;
  onChange: () => void;
  onError?: (err: unknown) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Watched<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private stopping = false;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private errors = 0;
  private markSynced!: () => void;
  /** Resolves once a list has succeeded: the cache then holds the full state. */
  readonly synced = new Promise<void>((resolve) => (this.markSynced = resolve));

  constructor(private readonly opts: WatchedOptions<T>) {
    this.backoffMs = opts.minBackoffMs ?? 500;
    // makeInformer without its field selector argument: ListWatch takes both selectors.
    this.informer = new ListWatch(opts.path, new Watch(opts.kc), opts.list, false, opts.labelSelector, opts.fieldSelector);
    const changed = () => {
      this.backoffMs = this.opts.minBackoffMs ?? 500;
      opts.onChange();
    };
    this.informer.on('add', changed);
    this.informer.on('update', changed);
    this.informer.on('delete', changed);
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  /** Starts watching; resolves when first synced (retrying in the background until then). */
  start(): Promise<void> {
    this.stopping = false;
    void this.run();
    return this.synced;
  }

  private async run(): Promise<void> {
    const errorsBefore = this.errors;
    try {
      await this.informer.start();
    } catch (err) {
      this.onError(err);
      return;
    }
    // A failed list is reported through the error event, not by rejecting start().
    if (this.errors === errorsBefore && !this.stopping) this.markSynced();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  private onError(err: unknown): void {
    if (this.stopping) return;
    this.errors++;
    this.opts.onError?.(err);
    // Jitter keeps replicas (and the three informers) from retrying in lockstep. The cap is
    // short because until the watch is back, the table cannot follow the cluster.
    const delay = Math.round(this.backoffMs * (0.75 + Math.random() * 0.5));
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 8000);
    this.opts.log.warn({ kind: this.opts.kind, err: describe(err), retryInMs: delay }, 'watch failed; restarting');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopping) void this.run();
    }, delay);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
