import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

/**
 * stderr, written off the hot path: a line goes to the kernel at once when no write is in
 * flight, and the lines logged while one is (a reconnect storm's access-log lines) leave
 * together in the next write, one syscall for many instead of a blocking write each. pino
 * flushes what is left synchronously when the process exits.
 */
export function logDestination(): DestinationStream {
  return pino.destination({ dest: 2, sync: false });
}

/** JSON logs on stderr so stdout stays free for command output. */
export function createLogger(level: string): Logger {
  return pino({ level: level as LevelWithSilent, base: { app: 'wsgate' } }, logDestination());
}
