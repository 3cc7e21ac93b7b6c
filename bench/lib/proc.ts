// Reads CPU time and resident memory of processes from /proc (Linux only), and finds the
// children of a process (nginx master -> worker).

import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the bench targets

/** utime+stime of one process in seconds, or 0 if it is gone. */
export function cpuSeconds(pid: number, tid?: number): number {
  try {
    // With `tid`: that thread's CPU only (the main thread's tid is the pid).
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** VmRSS in bytes, or 0 if the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Direct children of `pid` (scans /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === pid) out.push(Number(name));
    } catch {
      // raced with an exit
    }
  }
  return out;
}

/** The soft limit on open files of this process (what children inherit). */
export function openFileLimit(): number {
  try {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\S+)/m.exec(limits);
    if (!m) return 1024;
    return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return 1024;
  }
}

/** CPU seconds of a group of processes, sampled together. */
export function sampleCpu(pids: readonly number[]): number[] {
  return pids.map(cpuSeconds);
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
export function machineJiffies(): { busy: number; total: number; steal: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0); // user..steal (guest is inside user)
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  // Steal: time the hypervisor gave this VM's CPUs to someone else. It is in `busy` (so in
  // "other"), and it is what makes a latency percentile measure the host instead of the proxy.
  return { busy: total - idle, total, steal: v[7] ?? 0 };
}

/** CPU the hypervisor took between two samples, in per cent of one core. */
export function machineStealPercent(a: { steal: number; total: number }, b: { steal: number; total: number }, cpus: number): number {
  return percentOfCore(b.steal - a.steal, b.total - a.total, cpus);
}

/** `jiffies` out of `totalJiffies` of all `cpus` cores, in per cent of one core. */
function percentOfCore(jiffies: number, totalJiffies: number, cpus: number): number {
  return totalJiffies > 0 ? (jiffies / totalJiffies) * cpus * 100 : 0;
}

/** CPU busy on the whole machine between two samples, in per cent of one core. */
export function machineBusyPercent(a: { busy: number; total: number }, b: { busy: number; total: number }, cpus: number): number {
  return percentOfCore(b.busy - a.busy, b.total - a.total, cpus);
}
