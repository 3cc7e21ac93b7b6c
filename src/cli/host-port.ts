import type { HostPort } from '../process.js';

/** "0.0.0.0:8080", "[::1]:9090", ":8080" (all interfaces). */
export function parseHostPort(value: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`"${value}" is not HOST:PORT (for example 0.0.0.0:8080 or [::1]:8080)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
