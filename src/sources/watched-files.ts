// Files that are re-read when they change: the affinity key file and the snapshot stream's
// certificates. Mounted Secrets are replaced by swapping a `..data` link in their directory, and
// editors replace files by rename, so the directory is watched (a watch on the file itself
// would stay on the replaced inode). Bursts of events are coalesced into one call.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export class WatchedFiles {
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** `files`: paths whose change calls `onChange` (debounced by `debounceMs`). */
  constructor(
    private readonly files: readonly string[],
    private readonly log: Logger,
    private readonly onChange: () => void,
    private readonly debounceMs = 100,
  ) {}

  start(): void {
    const byDir = new Map<string, Set<string>>();
    for (const f of this.files) {
      const dir = path.dirname(path.resolve(f));
      const names = byDir.get(dir) ?? new Set<string>();
      names.add(path.basename(f));
      byDir.set(dir, names);
    }
    for (const [dir, names] of byDir) {
      try {
        const watcher = fs.watch(dir, (_event, changed) => {
          // Other files of the directory are not ours; a Secret mount swaps its "..data" link.
          if (changed === null || names.has(changed) || changed.startsWith('..')) this.schedule();
        });
        watcher.on('error', (err) => this.log.error({ err: err.message, dir }, 'watching files failed; they are not re-read'));
        this.watchers.push(watcher);
      } catch (err) {
        this.log.error({ err: (err as Error).message, dir }, 'cannot watch files; they are read once');
      }
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }

  /** One call `debounceMs` after the first event of a burst; a file rewritten continuously is still re-read, never starved. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange();
    }, this.debounceMs);
  }
}
