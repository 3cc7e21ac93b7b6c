// Standalone mode's route source: a YAML file of WebSocketRoute documents, reloaded when it
// changes. A file with any problem is refused whole, so the last good table keeps serving.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Logger } from 'pino';
import { formatProblem, parseRouteFile, type FileProblem } from '../api/route-file.js';
import type { WebSocketRoute } from '../api/types.js';
import { WatchedFiles } from './watched-files.js';

export type LoadResult = { ok: true; routes: WebSocketRoute[] } | { ok: false; problems: FileProblem[] };

export function loadRouteFile(file: string): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    return { ok: false, problems: [{ file, document: 0, line: 0, field: '-', reason }] };
  }
  const { routes, problems } = parseRouteFile(text, file);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, routes };
}

export interface FileSourceEvents {
  onRoutes(routes: WebSocketRoute[]): void;
  onRejected(problems: FileProblem[]): void;
}

export class FileRouteSource {
  private readonly watch: WatchedFiles;
  private lastDigest = '';

  constructor(
    private readonly file: string,
    private readonly events: FileSourceEvents,
    private readonly log: Logger,
    debounceMs = 100,
  ) {
    this.watch = new WatchedFiles([file], log, () => this.reload(), debounceMs);
  }

  /** Loads once; returns false when the first load is refused. Then watches. */
  start(): boolean {
    const ok = this.reload();
    this.watch.start();
    return ok;
  }

  stop(): void {
    this.watch.stop();
  }

  /** Re-reads the file; does nothing when its bytes have not changed. */
  reload(): boolean {
    let digest: string;
    try {
      digest = createHash('sha256').update(fs.readFileSync(this.file)).digest('hex');
    } catch {
      digest = 'unreadable';
    }
    if (digest === this.lastDigest) return true;
    this.lastDigest = digest;
    const result = loadRouteFile(this.file);
    if (!result.ok) {
      for (const p of result.problems) this.log.error({ file: p.file, line: p.line, field: p.field }, formatProblem(p));
      this.events.onRejected(result.problems);
      return false;
    }
    this.events.onRoutes(result.routes);
    return true;
  }
}
