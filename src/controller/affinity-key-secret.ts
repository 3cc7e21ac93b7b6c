// The session-affinity key from a Secret in the controller's namespace (--affinity-key-secret),
// so the chart renders no key (Helm's `lookup` does not run under Argo CD's `helm template`: a
// rendered key would change on every sync). With --affinity-key-create the controller creates
// the Secret with a random key when it is missing; replicas starting together race to create
// it, and a loser (409 AlreadyExists) reads back the winner's, so all end with one key. The one
// Secret is then watched (a field selector on its name, which the RBAC can be limited to) and a
// changed key is handed on without a restart.

import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type ListPromise, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { MIN_AFFINITY_KEY_CHARS } from '../sources/affinity-key-file.js';
import { Watched } from './watched.js';

/** The Secret's data key holding the key (as the chart's existingSecret documents). */
export const AFFINITY_KEY_DATA_KEY = 'key';

const MIN_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

export interface AffinityKeySecretOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  /** Create the Secret with a random key when it is missing (chart: no existingSecret). */
  create: boolean;
  log: Logger;
  /** The Secret's key, at the first read and after every change (unchanged keys included). */
  onKey: (key: Buffer) => void;
  onError?: (err: unknown) => void;
}

/** The key a Secret holds (a trailing newline is not part of it), or why it holds none. */
export function keyOfSecret(secret: V1Secret | undefined): { key: Buffer } | { problem: string } {
  if (!secret) return { problem: 'the Secret does not exist' };
  const encoded = secret.data?.[AFFINITY_KEY_DATA_KEY];
  if (encoded === undefined) return { problem: `the Secret has no "${AFFINITY_KEY_DATA_KEY}"` };
  const text = Buffer.from(encoded, 'base64').toString('utf8').replace(/\r?\n$/, '');
  if (text.length < MIN_AFFINITY_KEY_CHARS) return { problem: `the key must be at least ${MIN_AFFINITY_KEY_CHARS} characters` };
  return { key: Buffer.from(text) };
}

/** A new Secret's key: 32 random bytes as hex text (what `openssl rand -hex 32` writes), so a mounted file and the API agree on its bytes. */
function newKeyText(): string {
  return randomBytes(32).toString('hex');
}

export class AffinityKeySecret {
  private readonly api: CoreV1Api;
  private readonly watched: Watched<V1Secret>;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = MIN_RETRY_MS;
  private stopped = false;

  constructor(private readonly opts: AffinityKeySecretOptions) {
    this.api = opts.kc.makeApiClient(CoreV1Api);
    const fieldSelector = `metadata.name=${opts.name}`;
    this.watched = new Watched<V1Secret>({
      kind: 'Secret (affinity key)',
      kc: opts.kc,
      log: opts.log,
      fieldSelector,
      path: `/api/v1/namespaces/${opts.namespace}/secrets`,
      list: (() => this.api.listNamespacedSecret({ namespace: opts.namespace, fieldSelector })) as ListPromise<V1Secret>,
      onChange: () => this.changed(),
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  /**
   * Creates the Secret when missing (with `create`), applies its key, then watches it. Resolves
   * once the key is applied, or once the watch has listed without finding one (the key then
   * applies when the Secret appears).
   */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.opts.create) await this.ensureOrRetry();
    await this.watched.start();
    this.apply(this.watched.list()[0]);
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    return this.watched.stop();
  }

  /** The watched Secret changed; deleted, it is created again (with `create`): a new key. */
  private changed(): void {
    const secret = this.watched.list()[0];
    if (!secret && this.opts.create) {
      void this.ensureOrRetry();
      return;
    }
    this.apply(secret);
  }

  /**
   * ensure(), retried in the background (capped backoff) while the API server refuses: the
   * proxy meanwhile signs with the key it has (a random one at first), rather than not start.
   */
  private async ensureOrRetry(): Promise<void> {
    clearTimeout(this.retry);
    try {
      this.apply(await this.ensure());
      this.retryMs = MIN_RETRY_MS;
    } catch (err) {
      if (this.stopped) return;
      this.opts.onError?.(err);
      this.opts.log.error({ err: (err as Error).message, secret: `${this.opts.namespace}/${this.opts.name}`, retryInMs: this.retryMs }, 'could not read or create the session-affinity key Secret');
      this.retry = setTimeout(() => void this.ensureOrRetry(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    }
  }

  /** The Secret: read, else created, else (someone else created it first) read back. */
  async ensure(): Promise<V1Secret> {
    const { namespace, name } = this.opts;
    const existing = await this.read();
    if (existing) return existing;
    try {
      const created = await this.api.createNamespacedSecret({
        namespace,
        body: {
          metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'wsgate', 'app.kubernetes.io/part-of': 'wsgate' } },
          type: 'Opaque',
          data: { [AFFINITY_KEY_DATA_KEY]: Buffer.from(newKeyText()).toString('base64') },
        },
      });
      this.opts.log.info({ secret: `${namespace}/${name}` }, 'created the session-affinity key Secret');
      return created;
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      // Another replica won the race: its key is the one.
      const winner = await this.read();
      if (!winner) throw new Error(`Secret ${namespace}/${name} was created by someone else and is gone again`, { cause: err });
      this.opts.log.info({ secret: `${namespace}/${name}` }, 'the session-affinity key Secret was created by another replica; using its key');
      return winner;
    }
  }

  private async read(): Promise<V1Secret | undefined> {
    try {
      return await this.api.readNamespacedSecret({ name: this.opts.name, namespace: this.opts.namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  private apply(secret: V1Secret | undefined): void {
    const found = keyOfSecret(secret);
    if ('problem' in found) {
      this.opts.log.warn({ secret: `${this.opts.namespace}/${this.opts.name}`, problem: found.problem }, 'no session-affinity key in the Secret; the current key stays in use');
      return;
    }
    this.opts.onKey(found.key);
  }
}
