// HAProxy (the Debian package) in front of wsgate replicas, on loopback. HAProxy cannot bind
// port 0 and report the port, so this process binds 127.0.0.1:0 and hands the listening socket
// to HAProxy as fd 3 (`bind fd@3`): no port is guessed or fixed. Server states are read from
// HAProxy's stats socket.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface HaproxyServer {
  name: string;
  port: number;
  /** Port of the health check (wsgate's admin listener, /readyz). */
  checkPort: number;
}

export interface Haproxy {
  readonly port: number;
  readonly child: ChildProcess;
  /** Operational state per server name: 'UP', 'DOWN' or another word. */
  states(): Promise<Record<string, string>>;
  waitFor(server: string, state: 'UP' | 'DOWN', timeoutMs: number): Promise<number>;
  log(): string;
  stop(): Promise<void>;
}

export function haproxyAvailable(): boolean {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const OP_STATES: Record<string, string> = { '0': 'DOWN', '1': 'STARTING', '2': 'UP', '3': 'STOPPING' };

export async function startHaproxy(dir: string, servers: HaproxyServer[]): Promise<Haproxy> {
  const listener = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve());
  });
  const port = (listener.address() as net.AddressInfo).port;
  const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
  const sock = path.join(dir, 'haproxy.sock');
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    cfg,
    `global
  log stderr format raw local0 info
  stats socket ${sock} mode 600 level admin
  maxconn 4000

defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  # Established WebSocket connections: as long as the test runs.
  timeout tunnel 1h
  timeout client-fin 5s
  timeout server-fin 5s
  # A replica that stopped listening: try the other one, invisible to the client.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout

frontend ws
  bind fd@3
  default_backend wsgate

backend wsgate
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
  # A draining replica fails /readyz at once: marked down within ~100 ms, back after 2 checks.
  default-server inter 100ms fastinter 100ms downinter 100ms fall 1 rise 2
${servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check port ${s.checkPort}`).join('\n')}
`,
  );
  let log = '';
  const child = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe', fd] });
  // HAProxy holds its own copy of the socket now.
  listener.close();
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const command = (cmd: string) =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect(sock);
      let out = '';
      s.setTimeout(5000, () => s.destroy(new Error('stats socket timed out')));
      s.on('data', (c: Buffer) => (out += c.toString()));
      s.on('error', reject);
      s.on('close', () => resolve(out));
      s.end(`${cmd}\n`);
    });
  const states = async () => {
    const out: Record<string, string> = {};
    for (const line of (await command('show servers state wsgate')).split('\n')) {
      const f = line.split(' ');
      if (f.length > 6 && /^\d+$/.test(f[0]!)) out[f[3]!] = OP_STATES[f[5]!] ?? f[5]!;
    }
    return out;
  };
  // Ready once the stats socket answers.
  const deadline = performance.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${log}`);
    try {
      if (Object.keys(await states()).length === servers.length) break;
    } catch {
      /* not up yet */
    }
    if (performance.now() > deadline) throw new Error(`haproxy not ready: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    child,
    states,
    waitFor: async (server, state, timeoutMs) => {
      const t0 = performance.now();
      for (;;) {
        if ((await states())[server] === state) return performance.now() - t0;
        if (performance.now() - t0 > timeoutMs) throw new Error(`haproxy: ${server} not ${state} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    log: () => log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
