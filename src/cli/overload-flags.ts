// The overload protection flags both commands share (their defaults live here and only here),
// and how they turn into the process's overload options: --max-connections (default from the
// container's memory limit, overload/sizing.ts), the readiness marks, and the memory overload
// manager's thresholds.

import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { ProcessOverloadOptions } from '../process.js';
import { DEFAULT_CGROUP_ROOT, readCgroupMemory } from '../overload/cgroup.js';
import { systemMemoryReader, type MemoryReading } from '../overload/manager.js';
import { defaultMaxConnections } from '../overload/sizing.js';
import { durationMs, type SecurityFlags } from './security-flags.js';

export interface OverloadFlags {
  maxConnections?: number;
  readyHighWater: number;
  readyLowWater: number;
  cgroupRoot: string;
  overloadManager: boolean;
  overloadRefuseAt: number;
  overloadShedAt: number;
  overloadShedPerSecond: number;
  overloadMaxBody: number;
  overloadCheckInterval: number;
  retryAfter: number;
  workers: number;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`"${value}" is not a fraction in (0, 1]`);
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

function positive(value: string): number {
  const n = count(value);
  if (n === 0) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

export function addOverloadFlags(cmd: Command): Command {
  return cmd
    .option(
      '--max-connections <n>',
      'WebSocket connections this process takes, all workers together (upgrades in progress included); past it upgrades get 503 with Retry-After, plain requests are still served; 0 = no cap (default: from the cgroup memory limit, else the machine\'s memory: see docs/overload.md)',
      count,
    )
    .option('--ready-high-water <fraction>', '/readyz answers 503 from this fraction of --max-connections (open connections are kept)', fraction, 0.9)
    .option('--ready-low-water <fraction>', '...and 200 again once down to this fraction', fraction, 0.8)
    .option('--cgroup-root <dir>', 'cgroup directory the memory limit and usage are read from (v2 memory.max/memory.current, else v1 memory/)', DEFAULT_CGROUP_ROOT)
    .option('--no-overload-manager', 'turn off the memory overload manager')
    .option('--overload-refuse-at <fraction>', 'memory overload manager: refuse new upgrades and large plain bodies (503) from this fraction of the memory limit (cgroup working set, or V8 heap)', fraction, 0.9)
    .option('--overload-shed-at <fraction>', 'memory overload manager: also close the newest connections with 1013 from this fraction', fraction, 0.95)
    .option('--overload-shed-per-second <n>', 'memory overload manager: connections closed with 1013 per second at most, all workers together', positive, 50)
    .option('--overload-max-body <bytes>', 'memory overload manager: while refusing, plain request bodies above this (or of unknown length) get 503', count, 65536)
    .option('--overload-check-interval <duration>', 'memory overload manager: how often memory is read', durationMs, 1000)
    .option('--retry-after <seconds>', 'Retry-After of the 503s of --max-connections and the overload manager', positive, 5)
    .hook('preAction', (command) => {
      // Flags that contradict each other: one usage line and exit 1, before anything starts.
      const problem = overloadFlagProblem(command.opts() as OverloadFlags);
      if (problem) command.error(`error: ${problem}`);
    });
}

/** Why these overload flags cannot be used together, or undefined. */
function overloadFlagProblem(opts: Pick<OverloadFlags, 'readyHighWater' | 'readyLowWater' | 'overloadRefuseAt' | 'overloadShedAt'>): string | undefined {
  if (opts.readyLowWater >= opts.readyHighWater) return `--ready-low-water (${opts.readyLowWater}) must be below --ready-high-water (${opts.readyHighWater})`;
  if (opts.overloadShedAt < opts.overloadRefuseAt) return `--overload-shed-at (${opts.overloadShedAt}) must not be below --overload-refuse-at (${opts.overloadRefuseAt})`;
  return undefined;
}

/**
 * The process's overload options from the flags (checked by the preAction hook above). With a
 * TLS listener the default cap is sized for TLS connections, which cost the most.
 */
export function overloadOptions(
  opts: OverloadFlags & Pick<SecurityFlags, 'tlsListen'>,
  read: () => MemoryReading = systemMemoryReader(opts.cgroupRoot),
): ProcessOverloadOptions {
  const maxConnections = opts.maxConnections ?? defaultMaxConnections(memoryLimit(opts.cgroupRoot), opts.workers, opts.tlsListen ? 'tls' : 'plain');
  return {
    limits: { maxConnections, maxPlainBodyBytes: opts.overloadMaxBody, retryAfterSeconds: opts.retryAfter },
    readyHighWater: opts.readyHighWater,
    readyLowWater: opts.readyLowWater,
    ...(opts.overloadManager
      ? { manager: { refuseAt: opts.overloadRefuseAt, shedAt: opts.overloadShedAt, shedPerSecond: opts.overloadShedPerSecond, intervalMs: opts.overloadCheckInterval, read } }
      : {}),
  };
}

/** The memory this process may use: the cgroup limit, else the machine's memory. */
function memoryLimit(cgroupRoot: string): number {
  const limit = readCgroupMemory(cgroupRoot)?.limitBytes;
  return limit !== undefined ? Math.min(limit, os.totalmem()) : os.totalmem();
}
