// Where log lines go (stderr), for the main thread and every worker thread alike. The access
// log (one line per connection and per plain request, metrics/proxy-observer.ts) is batched: a
// busy proxy pays one write for many of its lines instead of one each. Measured
// (bench/profile-upgrades.ts, A/B against the bare Node relay): one asynchronous write per line
// cost about 90 µs of CPU per upgrade (a thread-pool hand-off and wake-up each). 64 KiB rather than
// 8 KiB (issue 27): at a thousand upgrades a second the batch now leaves by the timer, ten writes
// a second instead of about sixty, each still one hand-off.
//
// An access-log line waits until BATCH_BYTES of them wait (then they leave in one asynchronous
// write) or until FLUSH_MS after the first of them (one timer, armed only while lines wait), so
// a quiet proxy's lines are at most that late. Every other line (startup, warnings, errors) is
// written at once, behind the access-log lines waiting before it, so the order stays that of
// the calls.
//
// Nothing may be lost: what still waits when the thread exits is written synchronously from the
// 'exit' event. pino registers that itself only on the main thread, so it is done here for both.

import { pino, type DestinationStream, type Logger } from 'pino';

/** How long an access-log line may wait for others before the batch is written. */
export const FLUSH_MS = 100;
/** A batch this large leaves at once. */
export const BATCH_BYTES = 64 * 1024;

type Sonic = ReturnType<typeof pino.destination>;

export class BatchedDestination implements DestinationStream {
  /** Writes asynchronously, as soon as no write is in flight (lines written meanwhile leave together). */
  private readonly sonic: Sonic;
  /** Access-log lines not yet handed to `sonic`. */
  private pending = '';
  /** The one flush timer, while lines are pending. */
  private timer: NodeJS.Timeout | undefined;
  private readonly flushLater = (): void => {
    this.timer = undefined;
    this.handOver('');
  };
  /** What an access logger writes to (accessLogger below). */
  readonly batched: DestinationStream = { write: (line: string) => this.writeBatched(line) };

  constructor(fd = 2) {
    this.sonic = pino.destination({ dest: fd, sync: false });
    // Also on a worker thread, whose process object emits its own 'exit' when the thread ends.
    process.once('exit', () => this.flushSync());
  }

  /** A line written at once, with the pending access-log lines before it. */
  write(line: string): void {
    this.handOver(line);
  }

  writeBatched(line: string): void {
    this.pending += line;
    if (this.pending.length >= BATCH_BYTES) return this.handOver('');
    if (this.timer) return;
    this.timer = setTimeout(this.flushLater, FLUSH_MS);
    // Pending lines never keep the thread alive: the 'exit' flush writes them.
    this.timer.unref();
  }

  /** Writes everything now, synchronously (exit, and pino after a fatal line). */
  flushSync(): void {
    this.handOver('');
    try {
      this.sonic.flushSync();
    } catch {
      // Thrown only for a destination already closed (destroyed): nothing waits in it.
    }
  }

  private handOver(line: string): void {
    const text = this.pending + line;
    this.pending = '';
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (text.length > 0) this.sonic.write(text);
  }
}

const accessLoggers = new WeakMap<Logger, Logger>();

/**
 * The logger for access-log lines: `log`'s level and bindings, writing to the batched side of
 * `log`'s BatchedDestination. A logger writing anywhere else (tests, pino's defaults) is its own.
 */
export function accessLogger(log: Logger): Logger {
  const dest = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  if (!(dest instanceof BatchedDestination)) return log;
  let access = accessLoggers.get(log);
  if (!access) {
    access = pino({ level: log.level, base: log.bindings() }, dest.batched);
    accessLoggers.set(log, access);
  }
  return access;
}
