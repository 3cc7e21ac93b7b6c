// The container's memory limit and usage as the kernel accounts them, from the cgroup
// filesystem (the process's own cgroup is its root inside a container with a cgroup namespace,
// which is how Kubernetes runs pods):
//   v2: memory.max ("max" = no limit), memory.current, memory.stat (inactive_file)
//   v1: memory/memory.limit_in_bytes (a huge number = no limit), memory/memory.usage_in_bytes,
//       memory/memory.stat (total_inactive_file)
// Usage is the working set, usage minus inactive file cache, as the kubelet computes it for
// evictions: that cache is reclaimed before the OOM killer runs, so counting it would shed
// connections the kernel would never have killed.

import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** v1 reports "no limit" as the largest page-aligned int64; anything above 2^60 means that. */
const V1_UNLIMITED = 2 ** 60;

export interface CgroupMemory {
  version: 1 | 2;
  /** Bytes; undefined when the cgroup has no limit. */
  limitBytes: number | undefined;
  /** Working set in bytes: usage minus inactive file cache. */
  workingSetBytes: number;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function statField(text: string | undefined, field: string): number {
  if (!text) return 0;
  const m = new RegExp(`^${field} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Reads the cgroup under `root` (v2 first, then v1); undefined when neither is there. */
export function readCgroupMemory(root = DEFAULT_CGROUP_ROOT): CgroupMemory | undefined {
  const max = readText(path.join(root, 'memory.max'));
  const current = readText(path.join(root, 'memory.current'));
  if (max !== undefined && current !== undefined) {
    const usage = Number(current);
    return {
      version: 2,
      limitBytes: max === 'max' ? undefined : Number(max),
      workingSetBytes: Math.max(0, usage - statField(readText(path.join(root, 'memory.stat')), 'inactive_file')),
    };
  }
  const v1 = path.join(root, 'memory');
  const limit = readText(path.join(v1, 'memory.limit_in_bytes'));
  const usage = readText(path.join(v1, 'memory.usage_in_bytes'));
  if (limit !== undefined && usage !== undefined) {
    const l = Number(limit);
    return {
      version: 1,
      limitBytes: l >= V1_UNLIMITED ? undefined : l,
      workingSetBytes: Math.max(0, Number(usage) - statField(readText(path.join(v1, 'memory.stat')), 'total_inactive_file')),
    };
  }
  return undefined;
}
