// The default --max-connections: how many idle WebSocket connections fit in the memory this
// process may use, from what the bench measured (`make bench-capacity`, docs/overload.md
// "Capacity, measured"; bench/results/capacity/).
//
//   maxConnections = floor((limit x HEADROOM - baseline(workers)) / per connection)
//
// - limit: the cgroup memory limit (the container's resources.limits.memory), else the
//   machine's memory;
// - HEADROOM 0.8: the rest is for what idle connections do not show (messages in flight,
//   TLS handshakes, a table compile, GC slack) and stays below the overload manager's
//   shedding threshold (0.95 by default), so the cap refuses before memory forces shedding;
// - baseline: the process with routes and no connections: 168 MiB RSS with one event loop and
//   250 MiB with two (`make bench`, "RSS idle"), i.e. about 88 MiB + 80 MiB per event loop; the
//   capacity bench measured 155-166 MiB with one, within it;
// - per connection, what the cgroup charges for one idle proxied connection: the process's RSS
//   growth plus the kernel's memory of its two sockets (slab and TCP buffers, charged to the
//   cgroup of the socket's owner). At 9,750 idle connections the capacity bench measured, per
//   connection, 10-12 KiB of RSS and 8-10 KiB of kernel memory for wsgate's two sockets: about
//   20 KiB, so PER_CONNECTION_BYTES is 24 KiB. With TLS on the client side the RSS is 49 KiB (a
//   TLS socket's OpenSSL state and buffers): about 57 KiB charged, PER_TLS_CONNECTION_BYTES 64 KiB,
//   used when the TLS listener is on (its clients may be all TLS; the cap must hold for them).
// Never below MIN_CONNECTIONS: a pod too small for its baseline still serves a few.

const MiB = 2 ** 20;
export const PER_CONNECTION_BYTES = 24 * 1024;
export const PER_TLS_CONNECTION_BYTES = 64 * 1024;
export const HEADROOM = 0.8;
export const BASELINE_BYTES = 88 * MiB;
export const BASELINE_PER_WORKER_BYTES = 80 * MiB;
export const MIN_CONNECTIONS = 100;

/** Client connections: plain only, or (with a TLS listener) possibly all TLS. */
export type ListenerKind = 'plain' | 'tls';

export function defaultMaxConnections(limitBytes: number, workers: number, listener: ListenerKind = 'plain'): number {
  const baseline = BASELINE_BYTES + BASELINE_PER_WORKER_BYTES * Math.max(1, workers);
  const perConnection = listener === 'tls' ? PER_TLS_CONNECTION_BYTES : PER_CONNECTION_BYTES;
  const n = Math.floor((limitBytes * HEADROOM - baseline) / perConnection);
  return Math.max(MIN_CONNECTIONS, n);
}
