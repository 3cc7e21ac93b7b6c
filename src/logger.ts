import { pino, type Logger, type LevelWithSilent } from 'pino';
import { BatchedDestination } from './log/destination.js';

/** JSON logs on stderr so stdout stays free for command output; batched (log/destination.ts). */
export function createLogger(level: string): Logger {
  return pino({ level: level as LevelWithSilent, base: { app: 'wsgate' } }, new BatchedDestination(2));
}
