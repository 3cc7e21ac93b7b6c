// The default --max-connections: how many idle WebSocket connections fit in the memory this
// process may use, from what `make bench` measured (docs/benchmarks.md, "Latest run"; bench/results/).
//
//   maxConnections = floor((limit x HEADROOM - baseline(workers)) / PER_CONNECTION_BYTES)
//
// - limit: the cgroup memory limit (the container's resources.limits.memory), else the
//   machine's memory;
// - HEADROOM 0.8: the rest is for what idle connections do not show (messages in flight,
//   TLS handshakes, a table compile, GC slack) and stays below the overload manager's
//   shedding threshold (0.95 by default), so the cap refuses before memory forces shedding;
// - baseline: the process with routes and no connections: 168 MiB RSS with one event loop and
//   250 MiB with two (bench, "RSS idle"), i.e. about 88 MiB + 80 MiB per event loop;
// - PER_CONNECTION_BYTES 16 KiB: the bench measured 6.6 KiB of RSS per idle connection (6.7
//   with two workers; a bare Node relay 11.0) at 5,000 held. The cgroup also charges what RSS
//   does not show: kernel socket buffers of the two sockets of each connection (client and
//   backend), a few KiB more when idle; 16 KiB covers both with margin.
// Never below MIN_CONNECTIONS: a pod too small for its baseline still serves a few.

const MiB = 2 ** 20;
export const PER_CONNECTION_BYTES = 16 * 1024;
export const HEADROOM = 0.8;
export const BASELINE_BYTES = 88 * MiB;
export const BASELINE_PER_WORKER_BYTES = 80 * MiB;
export const MIN_CONNECTIONS = 100;

export function defaultMaxConnections(limitBytes: number, workers: number): number {
  const baseline = BASELINE_BYTES + BASELINE_PER_WORKER_BYTES * Math.max(1, workers);
  const n = Math.floor((limitBytes * HEADROOM - baseline) / PER_CONNECTION_BYTES);
  return Math.max(MIN_CONNECTIONS, n);
}
