// One table version as the main thread posts it to every worker: the routes and the answers its
// resolvers gave during the main thread's compile (functions cannot be posted; their results
// can), so each worker's own pure compile yields the same table. Buffers arrive as Uint8Arrays
// and are turned back into Buffers without a copy. The Gateway API input is plain data and is
// posted as it is; the Secrets of its listener certificates are recorded like any other lookup.

import type { HostOwnership, WebSocketRoute } from '../api/types.js';
import { compile, type CompileInput, type CompileOutput } from '../routing/compile.js';
import type { GatewayCompileInput } from '../routing/gateway-types.js';
import type { BackendResolution, SecretResolver, ServiceResolver } from '../routing/types.js';
import type { SecretResolution } from '../security/types.js';

export interface TableSnapshot {
  version: number;
  routes: readonly WebSocketRoute[];
  /** null: the compile had no ServiceResolver (standalone mode). */
  services: Array<[string, BackendResolution]> | null;
  /** null: no SecretResolver. */
  secrets: Array<[string, SecretResolution]> | null;
  /** The HTTPRoute entries and Gateway sockets the main thread compiled with, when any. */
  gateway?: GatewayCompileInput;
  /** The controller's --host-ownership: a worker or proxy refuses the same routes. Absent: shared. */
  hostOwnership?: HostOwnership;
  /**
   * Split mode: the controller's session-affinity key (from its Secret), so proxies never read
   * it from the API; a changed key comes as a new snapshot. Absent: the proxy keeps its own.
   */
  affinityKey?: Uint8Array;
}

const serviceKey = (namespace: string, ref: { name: string; port: number | string }) => `${namespace}\u0000${ref.name}\u0000${typeof ref.port}:${ref.port}`;
const secretKey = (namespace: string, name: string) => `${namespace}\u0000${name}`;

export class ResolverRecorder {
  private readonly services = new Map<string, BackendResolution>();
  private readonly secrets = new Map<string, SecretResolution>();
  readonly resolveService: ServiceResolver | undefined;
  readonly resolveSecret: SecretResolver | undefined;

  constructor(service: ServiceResolver | undefined, secret: SecretResolver | undefined) {
    this.resolveService = service
      ? (namespace, ref) => {
          const key = serviceKey(namespace, ref);
          const r = service(namespace, ref);
          this.services.set(key, r);
          return r;
        }
      : undefined;
    this.resolveSecret = secret
      ? (namespace, name) => {
          const r = secret(namespace, name);
          this.secrets.set(secretKey(namespace, name), r);
          return r;
        }
      : undefined;
  }

  snapshot(version: number, routes: readonly WebSocketRoute[], gateway?: GatewayCompileInput, hostOwnership?: HostOwnership): TableSnapshot {
    return {
      version,
      routes,
      services: this.resolveService ? [...this.services] : null,
      secrets: this.resolveSecret ? [...this.secrets] : null,
      ...(gateway ? { gateway } : {}),
      ...(hostOwnership ? { hostOwnership } : {}),
    };
  }
}

/**
 * Compiles with recording resolvers: the table for this thread and the snapshot a worker thread
 * or a proxy compiles the same table from. `extraSecrets`: Secrets the data plane looks up
 * beside the routes' own (the default certificate of the TLS listener).
 */
export function compileRecorded(
  input: CompileInput,
  previous: CompileOutput | undefined,
  extraSecrets: ReadonlyArray<{ namespace: string; name: string }>,
): { out: CompileOutput; snapshot: TableSnapshot } {
  const rec = new ResolverRecorder(input.resolveService, input.resolveSecret);
  const out = compile({ ...input, resolveService: rec.resolveService, resolveSecret: rec.resolveSecret }, previous);
  for (const ref of extraSecrets) rec.resolveSecret?.(ref.namespace, ref.name);
  return { out, snapshot: rec.snapshot(out.table.version, input.routes, input.gateway, input.hostOwnership) };
}

/** The resolvers a worker compiles with: the recorded answers; anything else was not asked in the main thread. */
function replayResolvers(s: TableSnapshot): { resolveService?: ServiceResolver; resolveSecret?: SecretResolver } {
  const out: { resolveService?: ServiceResolver; resolveSecret?: SecretResolver } = {};
  if (s.services) {
    const services = new Map(s.services);
    out.resolveService = (namespace, ref) =>
      services.get(serviceKey(namespace, ref)) ?? { ok: false, reason: 'ServiceNotFound', message: `Service ${namespace}/${ref.name} not in the table snapshot` };
  }
  if (s.secrets) {
    const secrets = new Map<string, SecretResolution>();
    for (const [key, r] of s.secrets) secrets.set(key, r.ok ? { ok: true, data: asBuffers(r.data) } : r);
    out.resolveSecret = (namespace, name) =>
      secrets.get(secretKey(namespace, name)) ?? { ok: false, reason: 'SecretNotFound', message: `Secret ${namespace}/${name} not in the table snapshot` };
  }
  return out;
}

/** What a worker passes to compile(): the same input the main thread compiled, resolvers replayed. */
export function snapshotInput(s: TableSnapshot): CompileInput {
  return { routes: s.routes, ...replayResolvers(s), version: s.version, ...(s.gateway ? { gateway: s.gateway } : {}), ...(s.hostOwnership ? { hostOwnership: s.hostOwnership } : {}) };
}

function asBuffers(data: Readonly<Record<string, Uint8Array>>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data)) out[k] = asBuffer(v);
  return out;
}

/** A Buffer over bytes that crossed a thread boundary as a Uint8Array (no copy). */
export function asBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
