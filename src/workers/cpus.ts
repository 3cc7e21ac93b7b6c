// How many CPUs this process may use: the cgroup CPU quota where one is set (a container's CPU
// limit), else the CPUs the scheduler lets it run on. The default of --workers.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** ceil(quota / period), or undefined for "no quota" (cgroup v2 `max`, v1 `-1`) and unreadable files. */
export function parseCgroupV2CpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  return ratio(Number(quota), Number(period ?? 100000));
}

export function parseCgroupV1Quota(quotaText: string, periodText: string): number | undefined {
  const quota = Number(quotaText.trim());
  if (quota < 0) return undefined;
  return ratio(quota, Number(periodText.trim()));
}

function ratio(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return Math.max(1, Math.ceil(quota / period));
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The CPU quota of the cgroup this process is in, in whole CPUs (rounded up), or undefined.
 * `root` is the cgroup mount (tests pass a directory of fake files); `selfCgroup` the text of
 * /proc/self/cgroup, whose paths are tried below the mount before the mount itself (a container
 * usually sees its own cgroup at the root).
 */
export function cgroupCpuQuota(root = '/sys/fs/cgroup', selfCgroup = read('/proc/self/cgroup') ?? ''): number | undefined {
  const v2Path = /^0::(.*)$/m.exec(selfCgroup)?.[1]?.trim();
  const v1Path = /^\d+:[^:]*\bcpu\b[^:]*:(.*)$/m.exec(selfCgroup)?.[1]?.trim();
  const dirs = (sub: string | undefined, bases: string[]) => {
    const out: string[] = [];
    for (const base of bases) {
      if (sub && sub !== '/') out.push(path.join(base, sub));
      out.push(base);
    }
    return out;
  };
  for (const dir of dirs(v2Path, [root])) {
    const text = read(path.join(dir, 'cpu.max'));
    if (text !== undefined) return parseCgroupV2CpuMax(text);
  }
  for (const dir of dirs(v1Path, [path.join(root, 'cpu'), path.join(root, 'cpu,cpuacct'), path.join(root, 'cpuacct,cpu')])) {
    const quota = read(path.join(dir, 'cpu.cfs_quota_us'));
    const period = read(path.join(dir, 'cpu.cfs_period_us'));
    if (quota !== undefined && period !== undefined) return parseCgroupV1Quota(quota, period);
  }
  return undefined;
}

/** The default worker count: the cgroup quota, never more than the CPUs available, at least 1. */
export function defaultWorkers(quota = cgroupCpuQuota(), available = os.availableParallelism()): number {
  return Math.max(1, quota === undefined ? available : Math.min(quota, available));
}
