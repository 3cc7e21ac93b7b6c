// The capacity scenario's result (bench/capacity.ts) as a Markdown table: one row per target
// and mode (plain or TLS on the client side), figures per idle connection, then the ratios of
// wsgate against nginx and HAProxy measured in the same run.

export interface CapacityRow {
  target: string;
  mode: 'plain' | 'tls';
  held: number;
  connectSeconds: number;
  rssIdleBytes: number;
  rssHeldBytes: number;
  rssBytesPerConnection: number;
  heapBytesPerConnection?: number;
  connectCpuUsPerConnection: number;
  idleCpuUsPerConnectionSecond: number;
  /** Kernel socket memory (TCP buffers + slab, machine-wide) per proxied connection, all four sockets. */
  kernelBytesPerConnection: number;
  /** RSS plus the proxy's half of the kernel socket memory: what the sizing rule must cover. */
  chargedBytesPerConnection: number;
  errors: Record<string, number>;
}

export interface CapacityResult {
  date: string;
  command: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; kernel: string; node: string };
  setup: { conns: number; fdLimit: number; sourceAddresses: string[]; backends: number; idleSeconds: number; targets: Record<string, string> };
  rows: CapacityRow[];
  ratios: Record<string, { rssPerConnection: number; chargedPerConnection: number; connectCpuPerConnection: number }>;
}

const kib = (b: number | undefined) => (b === undefined ? '–' : (b / 1024).toFixed(1));
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const num = (x: number) => (Number.isFinite(x) ? String(x) : '–');

export function renderCapacityMarkdown(r: CapacityResult): string {
  const lines = [
    `Idle capacity, ${r.date.slice(0, 10)}: ${r.setup.conns.toLocaleString('en')} idle connections per target (ulimit -n ${r.setup.fdLimit}), ` +
      `${r.machine.cpus} × ${r.machine.cpuModel}, Linux ${r.machine.kernel}, Node ${r.machine.node}; one event loop each. \`${r.command}\``,
    '',
    '| target | client side | held | RSS idle → held (MiB) | RSS / conn (KiB) | JS heap / conn (KiB) | kernel / conn (KiB) | charged / conn (KiB) | CPU to open (µs / conn) | CPU idle (µs / conn / s) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of r.rows) {
    lines.push(
      `| ${row.target} | ${row.mode === 'tls' ? 'TLS' : 'plain'} | ${row.held.toLocaleString('en')} | ${mib(row.rssIdleBytes)} → ${mib(row.rssHeldBytes)} | ${kib(row.rssBytesPerConnection)} | ${kib(row.heapBytesPerConnection)} | ${kib(row.kernelBytesPerConnection)} | ${kib(row.chargedBytesPerConnection)} | ${num(row.connectCpuUsPerConnection)} | ${num(row.idleCpuUsPerConnectionSecond)} |`,
    );
  }
  const ratioKeys = Object.keys(r.ratios);
  if (ratioKeys.length) {
    lines.push('', '| wsgate ÷ | RSS / conn | charged / conn | CPU to open |', '| --- | ---: | ---: | ---: |');
    for (const k of ratioKeys) {
      const x = r.ratios[k]!;
      const [, mode, ref] = /^(plain|tls)Vs(\w+)$/.exec(k) ?? [k, '', k];
      lines.push(`| ${ref!.toLowerCase() === 'haproxy' ? 'HAProxy' : ref!.toLowerCase()}, ${mode === 'tls' ? 'TLS' : 'plain'} | ${num(x.rssPerConnection)} | ${num(x.chargedPerConnection)} | ${num(x.connectCpuPerConnection)} |`);
    }
  }
  lines.push(
    '',
    'RSS: the proxy\'s VmRSS (nginx: master + worker) with the connections held minus before, per connection. JS heap: wsgate\'s live heap after a full GC. ' +
      'Kernel: growth of TCP buffers (/proc/net/sockstat `mem`) plus slab (/proc/meminfo `Slab`), machine-wide: all four sockets of a proxied ' +
      'connection (generator, proxy × 2, backend), and whatever else the machine did meanwhile. Charged: RSS plus half the kernel figure ' +
      '(the proxy\'s two sockets), what src/overload/sizing.ts must cover. CPU to open: the proxy\'s CPU while the connections were opened ' +
      '(accept, TLS handshake, upgrade, backend connect), per connection. CPU idle: while they were held and silent, minus the proxy\'s CPU over as long with none.',
  );
  return `${lines.join('\n')}\n`;
}
