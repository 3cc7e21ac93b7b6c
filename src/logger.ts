import { pino, type Logger, type LevelWithSilent } from 'pino';

/** JSON logs on stderr so stdout stays free for command output. */
export function createLogger(level: string): Logger {
  return pino({ level: level as LevelWithSilent, base: { app: 'wsgate' } }, pino.destination(2));
}
