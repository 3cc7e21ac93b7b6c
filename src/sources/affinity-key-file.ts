// --affinity-key-file: the key that signs session-affinity cookies, read at start and again
// whenever the file changes (a rotated Secret mount, a rewritten file), without a restart.

import fs from 'node:fs';
import type { Logger } from 'pino';
import { WatchedFiles } from './watched-files.js';

/** Shorter keys are refused: a guessable key lets anyone forge cookies. */
export const MIN_AFFINITY_KEY_CHARS = 16;

/** The key in `file` (a trailing newline is not part of it); throws on a missing or short one. */
export function readAffinityKeyFile(file: string): Buffer {
  const key = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (key.length < MIN_AFFINITY_KEY_CHARS) throw new Error(`--affinity-key-file ${file}: the key must be at least ${MIN_AFFINITY_KEY_CHARS} characters`);
  return Buffer.from(key);
}

/** Calls `onKey` with the file's key after each change; an unreadable or short key keeps the current one. */
export class AffinityKeyFile {
  private readonly watch: WatchedFiles;

  constructor(
    private readonly file: string,
    private readonly log: Logger,
    private readonly onKey: (key: Buffer) => void,
  ) {
    this.watch = new WatchedFiles([file], log, () => this.reread());
  }

  start(): void {
    this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  private reread(): void {
    let key: Buffer;
    try {
      key = readAffinityKeyFile(this.file);
    } catch (err) {
      // Mid-rotation or a bad edit: cookies keep working with the key in use.
      this.log.warn({ err: (err as Error).message, file: this.file }, 'affinity key file unreadable; the current key stays in use');
      return;
    }
    this.onKey(key);
  }
}
