// Standalone mode's Secrets: DIR/<namespace>/<name>/<key>, the layout of Secrets mounted as
// volumes (one directory per Secret). A snapshot of the whole directory is read at once and
// looked up purely by the compiler; the directory is watched and a change recompiles the
// table, so a rotated certificate or key set applies without a restart.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SecretResolver } from '../routing/types.js';

/** Values larger than this are not Secrets (Kubernetes caps a Secret at 1 MiB). */
const MAX_VALUE_BYTES = 1024 * 1024;

export type SecretsSnapshot = ReadonlyMap<string, Readonly<Record<string, Buffer>>>;

/** Reads every DIR/<namespace>/<name>/<key> file. Kubernetes' `..data` links and dot-dot entries are skipped. */
export function readSecretsDir(dir: string): SecretsSnapshot {
  const out = new Map<string, Record<string, Buffer>>();
  for (const ns of entries(dir)) {
    const nsDir = path.join(dir, ns);
    if (!isDir(nsDir)) continue;
    for (const name of entries(nsDir)) {
      const secretDir = path.join(nsDir, name);
      if (!isDir(secretDir)) continue;
      const data: Record<string, Buffer> = {};
      for (const key of entries(secretDir)) {
        const file = path.join(secretDir, key);
        try {
          const st = fs.statSync(file);
          if (!st.isFile() || st.size > MAX_VALUE_BYTES) continue;
          data[key] = fs.readFileSync(file);
        } catch {
          // Gone between listing and reading (a rotation in progress): the next change rereads.
        }
      }
      out.set(`${ns}/${name}`, data);
    }
  }
  return out;
}

function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((e) => !e.startsWith('..')).sort();
  } catch {
    return [];
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function snapshotResolver(snapshot: SecretsSnapshot, where: string): SecretResolver {
  return (namespace, name) => {
    const data = snapshot.get(`${namespace}/${name}`);
    if (!data) return { ok: false, reason: 'SecretNotFound', message: `Secret ${namespace}/${name} not found (no directory ${path.join(where, namespace, name)})` };
    return { ok: true, data };
  };
}

/** Watches DIR and calls `onChange` (debounced) after any change below it. */
export class SecretsDirSource {
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private snapshot: SecretsSnapshot = new Map();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly onChange: () => void,
    private readonly debounceMs = 100,
  ) {}

  start(): void {
    this.snapshot = readSecretsDir(this.dir);
    try {
      this.watcher = fs.watch(this.dir, { recursive: true }, () => this.schedule());
      this.watcher.on('error', (err) => this.log.error({ err: err.message, dir: this.dir }, 'watching the secrets directory failed'));
    } catch (err) {
      this.log.error({ err: (err as Error).message, dir: this.dir }, 'cannot watch the secrets directory; Secrets are read once');
    }
    this.log.info({ dir: this.dir, secrets: this.snapshot.size }, 'secrets directory read');
  }

  stop(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  resolver(): SecretResolver {
    return snapshotResolver(this.snapshot, this.dir);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.snapshot = readSecretsDir(this.dir);
      this.log.info({ dir: this.dir, secrets: this.snapshot.size }, 'secrets directory changed');
      this.onChange();
    }, this.debounceMs);
  }
}
