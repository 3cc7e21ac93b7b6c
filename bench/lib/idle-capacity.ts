// Pure arithmetic of the idle-capacity scenario (bench/capacity.ts): how many connections fit
// the open-file limit, which loopback source addresses carry them, and the per-connection
// figures from two readings (no connections, N held). No I/O here: unit-tested in
// test/bench/idle-capacity.test.ts.

/** Descriptors one proxied connection costs each process (wsgate, nginx's worker, HAProxy). */
export const PROXY_FDS_PER_CONNECTION = 2;
/**
 * Descriptors a proxy keeps for itself besides its connections: listeners, logs, epoll,
 * Node's libuv and worker pipes, nginx's and HAProxy's own files. HAProxy sizes its needs as
 * 2 x maxconn plus a few dozen; 500 leaves room for all three.
 */
export const FD_RESERVE = 500;

/**
 * The most idle connections to hold when every process has `fdLimit` descriptors (`ulimit -n`):
 * the proxy is the tightest (2 a connection: client and backend side); the generators share the
 * client sockets among themselves and the backend process holds one a connection, so they fit
 * whenever the proxy does.
 */
export function connectionsForFdLimit(fdLimit: number, reserve = FD_RESERVE): number {
  return Math.max(0, Math.floor((fdLimit - reserve) / PROXY_FDS_PER_CONNECTION));
}

/**
 * nginx's worker_connections for `connections` proxied at once: two slots each (client and
 * upstream), and nginx starts closing connections it counts as reusable (those still reading
 * their request head, so new upgrades get reset) once fewer than 1/16 of the slots are free
 * (ngx_get_connection: free_connection_n < connection_n / 16). At least nginx's usual 16,384.
 */
export function nginxWorkerConnections(connections: number): number {
  return Math.max(16_384, Math.ceil((PROXY_FDS_PER_CONNECTION * connections * 16) / 15) + 100);
}

/**
 * Client-side source addresses 127.0.0.2, 127.0.0.3, ...: each (source address, destination)
 * pair has its own ephemeral port range, so `count` source addresses let the generator open
 * count x `portsPerAddress` connections to one listener. At least `min` of them, so the run
 * never depends on one address's range (and the TIME_WAIT ports of the previous target).
 */
export function sourceAddresses(connections: number, portsPerAddress: number, min = 4): string[] {
  const count = Math.max(min, Math.ceil(connections / Math.max(1, portsPerAddress)));
  if (count > 253) throw new Error(`${connections} connections need ${count} loopback source addresses (at most 253)`);
  return Array.from({ length: count }, (_v, i) => `127.0.0.${i + 2}`);
}

/** The size of the ephemeral port range from /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999"). */
export function portRangeSize(text: string): number {
  const [lo, hi] = text.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi! < lo!) throw new Error(`bad port range "${text.trim()}"`);
  return hi! - lo! + 1;
}

/** The kernel's TCP buffer memory, bytes: the `mem` pages of the TCP line of /proc/net/sockstat. */
export function tcpMemBytes(sockstat: string, pageBytes = 4096): number {
  const m = /^TCP:.*\bmem (\d+)/m.exec(sockstat);
  if (!m) throw new Error('no TCP mem in sockstat');
  return Number(m[1]) * pageBytes;
}

/** The kernel's slab memory, bytes (`Slab:` of /proc/meminfo): socket, file, epoll structures. */
export function slabBytes(meminfo: string): number {
  const m = /^Slab:\s+(\d+) kB/m.exec(meminfo);
  if (!m) throw new Error('no Slab in meminfo');
  return Number(m[1]) * 1024;
}

/**
 * What the kernel holds for sockets outside any process's RSS: TCP buffers plus slab (a
 * socket's tcp_sock, file, dentry and epoll entries), both charged to the owner's cgroup.
 */
export function kernelSocketBytes(sockstat: string, meminfo: string): number {
  return tcpMemBytes(sockstat) + slabBytes(meminfo);
}

/** Readings of one proxy with no connections, then with `held` idle connections. */
export interface IdleReadings {
  held: number;
  rssIdleBytes: number;
  rssHeldBytes: number;
  /** wsgate: JS heap in use after a full GC. */
  heapIdleBytes?: number;
  heapHeldBytes?: number;
  /** Proxy CPU seconds spent while the connections were opened. */
  connectCpuSeconds: number;
  /** Proxy CPU seconds over `idleSeconds`, first with no connection, then with every one held and silent. */
  baseCpuSeconds: number;
  idleCpuSeconds: number;
  idleSeconds: number;
  /** Kernel socket memory of the whole machine (kernelSocketBytes), before and with the connections held. */
  kernelIdleBytes: number;
  kernelHeldBytes: number;
}

export interface PerConnection {
  rssBytes: number;
  heapBytes?: number;
  /** Proxy CPU to accept, upgrade (and for wss, the TLS handshake) and connect one connection, microseconds. */
  connectCpuUs: number;
  /** Proxy CPU while held and idle above its CPU with none, microseconds per connection per second. */
  idleCpuUsPerSecond: number;
  /** Kernel socket memory per proxied connection, every socket of it (client, proxy x2, backend). */
  kernelBytes: number;
}

export function perConnection(r: IdleReadings): PerConnection | undefined {
  if (r.held <= 0) return undefined;
  const heap = r.heapIdleBytes !== undefined && r.heapHeldBytes !== undefined ? (r.heapHeldBytes - r.heapIdleBytes) / r.held : undefined;
  return {
    rssBytes: (r.rssHeldBytes - r.rssIdleBytes) / r.held,
    ...(heap !== undefined ? { heapBytes: heap } : {}),
    connectCpuUs: (r.connectCpuSeconds * 1e6) / r.held,
    idleCpuUsPerSecond: r.idleSeconds > 0 ? (Math.max(0, r.idleCpuSeconds - r.baseCpuSeconds) * 1e6) / r.held / r.idleSeconds : Number.NaN,
    kernelBytes: Math.max(0, r.kernelHeldBytes - r.kernelIdleBytes) / r.held,
  };
}

/**
 * What the sizing rule (src/overload/sizing.ts) must cover per connection: the proxy's RSS
 * growth plus its half of the kernel's socket memory (two of the four sockets are the proxy's;
 * the cgroup charges a socket's memory to the process that owns it).
 */
export function chargedBytesPerConnection(p: PerConnection): number {
  return p.rssBytes + p.kernelBytes / 2;
}
