// A pool of load-generator child processes (bench/loadgen.ts) and the calls that split one
// scenario's connections, rate or concurrency evenly over them.

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Command } from './loadgen.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Body<C> = C extends Command ? Omit<C, 'id'> : never;

export class Generators {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(readonly workers: ChildProcess[]) {
    for (const w of workers) {
      w.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`load generator: ${msg.error}`));
        else p.resolve(msg.result);
      });
      w.on('exit', (code) => {
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(new Error(`load generator exited with ${code}`));
        }
      });
    }
  }

  static async start(count: number): Promise<Generators> {
    const script = path.join(path.dirname(new URL(import.meta.url).pathname), 'loadgen.js');
    const workers = Array.from({ length: count }, () =>
      fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('spawn', resolve))));
    return new Generators(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  pids(): number[] {
    return this.workers.map((w) => w.pid!);
  }

  call<R>(worker: number, body: Body<Command>): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[worker]!.send({ ...body, id });
    });
  }

  /** Sends each worker its own command (built from its index) and waits for every reply. */
  all<R>(make: (worker: number) => Body<Command>): Promise<R[]> {
    return Promise.all(this.workers.map((_w, i) => this.call<R>(i, make(i))));
  }

  /** This worker's share of `total`, split as evenly as possible. */
  share(total: number, worker: number): number {
    const n = this.workers.length;
    return Math.floor(total / n) + (worker < total % n ? 1 : 0);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null) return resolve();
            w.once('exit', () => resolve());
            w.send({ cmd: 'exit', id: 0 });
            setTimeout(() => w.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
  }
}
