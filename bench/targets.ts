// The things under test, each started on a free loopback port picked at run time:
// wsgate standalone (one process, --workers 1), nginx (worker_processes 1), HAProxy (nbthread 1),
// Caddy (GOMAXPROCS=1, the Go peer, as Traefik would be), the same four with two (wsgate-2:
// --workers 2, nginx-2: worker_processes 2, haproxy-2: nbthread 2, caddy-2: GOMAXPROCS=2), and
// the direct connection to the backends (no proxy). All are configured as the same WebSocket
// reverse proxy: least-connections over the same echo endpoints, an access log line per
// connection, X-Forwarded-For added, one hour idle/tunnel timeout (Caddy 2.6 has no tunnel
// timeout: its WebSockets never time out). `node-relay` (bench/node-relay.ts) is the floor for
// Node.js: a bare relay with none of that, one event loop. The `-tls` targets are the same four
// with one event loop behind a TLS listener that offers h2 and http/1.1 by ALPN, for the HTTP/2
// scenarios only (bench/h2.ts): plain requests by h2load over h2 and HTTP/1.1, and for wsgate
// WebSockets over h2 (RFC 8441) against WebSockets over HTTP/1.1 on the same listener;
// `node-relay-tls` (bench/node-relay-tls.ts) is their floor for plain requests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { caddyEnvironment, caddyfile } from './lib/caddy.js';
import { ALL_ROUTE_FEATURES, FEATURES, featureClientHeaders, featureSecrets, featureSpecLines, type Feature } from './lib/features.js';
import { nginxWorkerConnections } from './lib/idle-capacity.js';
import { nginxHttp2Config } from './lib/nginx-http2.js';
import { makeSelfSignedCertificate, type BenchCertificate } from './lib/tls.js';
import { childPids } from './lib/proc.js';
import { freePort, sleep, waitForPort } from './lib/net.js';

export type TargetName =
  | 'wsgate'
  | 'nginx'
  | 'haproxy'
  | 'caddy'
  | 'wsgate-2'
  | 'nginx-2'
  | 'haproxy-2'
  | 'caddy-2'
  | 'node-relay'
  | 'direct'
  | 'wsgate-alt'
  | 'wsgate-messages'
  | 'wsgate-features'
  | H2TargetName
  | FeatureTargetName;

/** The TLS listeners with h2 (bench/h2.ts): run in the HTTP/2 scenarios only. */
export type H2TargetName = 'wsgate-tls' | 'nginx-tls' | 'haproxy-tls' | 'caddy-tls' | 'node-relay-tls' | 'wsgate-alt-tls';
export const H2_TARGETS: readonly H2TargetName[] = ['wsgate-tls', 'nginx-tls', 'haproxy-tls', 'caddy-tls', 'node-relay-tls'];

/** wsgate with one route feature on (bench/lib/features.ts): run in the upgrades scenario only. */
export type FeatureTargetName = `wsgate-feature-${Feature}`;
export const FEATURE_TARGETS: readonly FeatureTargetName[] = FEATURES.map((f) => `wsgate-feature-${f}` as const);

/** The feature a `wsgate-feature-*` target turns on, or undefined for any other target. */
export function featureOf(name: TargetName): Feature | undefined {
  return FEATURES.find((f) => name === `wsgate-feature-${f}`);
}
/** What `make bench` runs. `wsgate-alt` (opt-in, --targets) runs another build of wsgate, named by
 * WSGATE_ALT_CLI (its dist/src/cli.js), to measure a change against the current one interleaved;
 * `wsgate-alt-tls` the same build as `wsgate-tls` runs (the HTTP/2 scenarios). */
export const ALL_TARGETS: readonly TargetName[] = [
  'wsgate',
  'nginx',
  'haproxy',
  'caddy',
  'wsgate-2',
  'nginx-2',
  'haproxy-2',
  'caddy-2',
  'node-relay',
  'direct',
  'wsgate-messages',
  'wsgate-features',
  ...FEATURE_TARGETS,
  ...H2_TARGETS,
];
export const KNOWN_TARGETS: readonly TargetName[] = [...ALL_TARGETS, 'wsgate-alt', 'wsgate-alt-tls'];

export interface Target {
  readonly name: TargetName;
  /** Human description for the report (version, worker count). */
  readonly label: string;
  /** Client URLs; the load generator spreads connections over them. */
  readonly urls: string[];
  /** Headers every client sends (a route whose auth and Origin check they must pass). */
  readonly clientHeaders?: Readonly<Record<string, string>>;
  /** PEM of the CA the clients trust for wss:// and https:// (a TLS listener), or undefined. */
  readonly ca?: string;
  /** A TLS listener with h2 (the `-tls` targets): what the HTTP/2 scenarios drive. */
  readonly h2?: H2Access;
  /** The proxy's processes (empty for direct), sampled for CPU and RSS. */
  pids(): number[];
  /** wsgate only: its JS heap in use after a full GC (admin /debug/memory), or undefined. */
  heapUsed?(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface H2Access {
  /** https:// URL of a plain GET the proxy forwards to an echo backend (h2load's target). */
  readonly requestUrl: string;
  /** The proxy takes WebSockets as extended CONNECT streams (RFC 8441) on this listener. */
  readonly webSocketsOverH2: boolean;
}

export interface Backends {
  readonly ports: number[];
  readonly pid: number;
  stop(): Promise<void>;
}

export const WS_PATH = '/ws/bench';

/** A certificate and key (PEM files) for a TLS listener on the client side (bench/lib/tls.ts makes one). */
export interface TlsFiles {
  cert: string;
  key: string;
  /** The certificate and then the key in one file (HAProxy's `crt`). */
  bundle: string;
  /** The certificate's PEM, which the clients trust as their CA (the `-tls` targets need it). */
  pem?: string;
}

/** Options every proxy takes alike (the capacity scenario uses them; the default run uses none). */
export interface ProxyOptions {
  /** Clients connect with TLS (wss://) to a listener with this certificate; the backends stay plain. */
  tls?: TlsFiles;
  /** Connections the proxy must accept at once (nginx worker_connections, HAProxy maxconn). */
  maxConnections?: number;
  /**
   * With `tls`: offer h2 by ALPN (HAProxy `alpn h2,http/1.1`, nginx `http2`; Caddy and wsgate do
   * by default) and keep backend connections alive for plain requests, as a tuned proxy does
   * (nginx `keepalive` in the upstream; the others pool by default).
   */
  http2?: boolean;
}

function wsUrl(port: number, tls: TlsFiles | undefined): string {
  return `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}${WS_PATH}`;
}

/** What the `-tls` targets' clients need: the CA, and the request URL on the TLS port. */
function h2Fields(port: number, opts: ProxyOptions, webSocketsOverH2 = false): Pick<Target, 'ca' | 'h2'> {
  if (!opts.tls) return {};
  return {
    ...(opts.tls.pem ? { ca: opts.tls.pem } : {}),
    ...(opts.http2 ? { h2: { requestUrl: `https://127.0.0.1:${port}${WS_PATH}`, webSocketsOverH2 } } : {}),
  };
}

/** One self-signed certificate for every `-tls` target of a run, made when the first one starts. */
let runCertificate: BenchCertificate | undefined;
export function benchCertificate(): BenchCertificate {
  if (!runCertificate) {
    const dir = tmpDir('tls');
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    runCertificate = makeSelfSignedCertificate(dir);
  }
  return runCertificate;
}
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const NODE = process.execPath;

// Everything this module starts dies with the runner, whatever way the runner ends.
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(130));

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `wsgate-bench-${name}-`));
}

/** Starts the echo backends in their own process (so they never share the proxy's process). */
export async function startBackends(count: number): Promise<Backends> {
  const child = track(
    spawn(NODE, [path.join(REPO, 'dist/bench/echo-backend.js'), String(count)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const { ports } = await firstLineJson<{ ports: number[] }>(child, 'echo backends');
  return { ports, pid: child.pid!, stop: () => stopChild(child) };
}

/** The JSON a child prints on its first line of stdout once it listens. */
function firstLineJson<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(buf.slice(0, nl)) as T);
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function failFast(child: ChildProcess, what: string, logFile: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    child.once('exit', (code, signal) => {
      let log = '';
      try {
        log = fs.readFileSync(logFile, 'utf8').slice(-2000);
      } catch {
        // no log
      }
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${log}`));
    });
  });
}

/** Starts a proxy with its stdout and stderr in `logFile`; resolves once it accepts on `port`. */
async function startLogged(what: string, bin: string, args: string[], logFile: string, port: number, env?: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const log = fs.openSync(logFile, 'a');
  const child = track(spawn(bin, args, { stdio: ['ignore', log, log], ...(env ? { env } : {}) }));
  fs.closeSync(log);
  await Promise.race([waitForPort('127.0.0.1', port, 15_000), failFast(child, what, logFile)]);
  return child;
}

export interface WsgateOptions {
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  logLevel?: string;
  /** Another build's dist/src/cli.js (default: this repo's, or $WSGATE_BENCH_CLI). */
  cli?: string;
  name?: TargetName;
  /** --workers (default 1: the single-thread data plane). */
  workers?: number;
  /** Extra lines of the route's spec (indented two spaces), e.g. spec.messages. */
  specLines?: string[];
  /** --tls-listen with this default certificate; the clients then use only the TLS port. */
  tls?: TlsFiles;
  /** With `tls`: the HTTP/2 scenarios' target (h2 is on by default on --tls-listen, RFC 8441 too). */
  http2?: boolean;
  /** Files under --secrets-dir (`<namespace>/<name>/<key>`) for the route's auth. */
  secrets?: Readonly<Record<string, string>>;
  clientHeaders?: Readonly<Record<string, string>>;
  /** What the route has on, for the report's setup line. */
  describe?: string;
}

/**
 * wsgate-messages: every spec.messages limit and keepalive on, set high enough that none is
 * hit, so the row shows what following messages costs (against `wsgate`, which has none).
 */
const ALL_MESSAGE_LIMITS = [
  '  messages:',
  '    maxBytes: 16Mi',
  '    maxBytesFromBackend: 16Mi',
  '    rate: { perSecond: 1000000, burst: 1000000 }',
  '    byteRate: { perSecond: 1Gi, burst: 1Gi }',
  '  keepalive: { pingInterval: 30s, pongTimeout: 10s }',
];

/** The `-tls` target's route also takes plain GETs (spec.http), which the request scenario sends. */
export const PLAIN_GET = ['  http: { methods: [GET] }'];

export async function startWsgate(backends: Backends, opts: WsgateOptions = {}): Promise<Target> {
  const cli = path.resolve(opts.cli ?? process.env.WSGATE_BENCH_CLI ?? path.join(REPO, 'dist/src/cli.js'));
  const dir = tmpDir('wsgate');
  // The route file gets a directory of its own: wsgate watches the file's directory, and the
  // log written next to it would otherwise trigger a reload on every line.
  fs.mkdirSync(path.join(dir, 'config'));
  const config = path.join(dir, 'config', 'routes.yaml');
  fs.writeFileSync(
    config,
    [
      'apiVersion: wsgate.io/v1alpha1',
      'kind: WebSocketRoute',
      'metadata: { name: bench, namespace: default }',
      'spec:',
      "  match: { path: '/ws/{rest}' }",
      '  backend:',
      '    endpoints:',
      ...backends.ports.map((p) => `      - { host: 127.0.0.1, port: ${p} }`),
      '  loadBalancer: { policy: LeastConnections }',
      '  timeouts: { connect: 5s, idle: 1h }',
      ...(opts.specLines ?? []),
      '',
    ].join('\n'),
  );
  const secretsDir = path.join(dir, 'secrets');
  for (const [file, value] of Object.entries(opts.secrets ?? {})) {
    fs.mkdirSync(path.dirname(path.join(secretsDir, file)), { recursive: true });
    fs.writeFileSync(path.join(secretsDir, file), value);
  }
  const port = await freePort();
  const admin = await freePort();
  const tlsPort = opts.tls ? await freePort() : 0;
  const logFile = path.join(dir, 'wsgate.log');
  const log = fs.openSync(logFile, 'a');
  const child = track(spawn(
    NODE,
    [
      // Lets /debug/memory run a full GC before it reports the heap (memory scenario).
      '--expose-gc',
      ...(opts.nodeArgs ?? []),
      cli,
      'standalone',
      '--config',
      config,
      '--listen',
      `127.0.0.1:${port}`,
      '--admin-listen',
      `127.0.0.1:${admin}`,
      '--log-level',
      opts.logLevel ?? 'info',
      '--workers',
      String(opts.workers ?? 1),
      ...(opts.tls ? ['--tls-listen', `127.0.0.1:${tlsPort}`, '--tls-cert', opts.tls.cert, '--tls-key', opts.tls.key] : []),
      ...(opts.secrets ? ['--secrets-dir', secretsDir] : []),
    ],
    { stdio: ['ignore', log, log] },
  ));
  fs.closeSync(log);
  await Promise.race([waitForPort('127.0.0.1', opts.tls ? tlsPort : port, 15_000), failFast(child, 'wsgate', logFile)]);
  const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  const name = opts.name ?? 'wsgate';
  return {
    name,
    label: `${name} ${version} standalone, 1 process, --workers ${opts.workers ?? 1} (Node ${process.versions.node})${opts.describe ? `, ${opts.describe}` : ''}${cli === path.join(REPO, 'dist/src/cli.js') ? '' : ` from ${cli}`}`,
    urls: opts.tls ? [wsUrl(tlsPort, opts.tls)] : [wsUrl(port, undefined)],
    ...h2Fields(tlsPort, opts, true),
    ...(opts.clientHeaders ? { clientHeaders: opts.clientHeaders } : {}),
    pids: () => [child.pid!],
    heapUsed: async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${admin}/debug/memory`);
        if (!res.ok) return undefined;
        const m = (await res.json()) as { gc: boolean; heapUsed: number };
        return m.gc ? m.heapUsed : undefined;
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      // SIGINT: wsgate shuts down and exits, which also writes a --cpu-prof profile.
      await stopChild(child, 'SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * nginx closes a client connection after 1,000 requests (`keepalive_requests`, which also
 * bounds h2 connections since 1.19.7): h2load's long-lived connections would see GOAWAYs and
 * failed requests the other proxies never cause. Raised far past what a run sends.
 */
const NGINX_KEEPALIVE_REQUESTS = 'keepalive_requests 10000000;';

export function nginxBinary(): string | null {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) if (fs.existsSync(p)) return p;
  return null;
}

export function haproxyBinary(): string | null {
  for (const p of ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy']) if (fs.existsSync(p)) return p;
  return null;
}

export function caddyBinary(): string | null {
  for (const p of ['/usr/bin/caddy', '/usr/local/bin/caddy', '/usr/sbin/caddy']) if (fs.existsSync(p)) return p;
  return null;
}

function versionOf(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return /(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? 'unknown';
}

export async function startNginx(backends: Backends, workers = 1, name: TargetName = 'nginx', opts: ProxyOptions = {}): Promise<Target> {
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx is not installed: run `bash bench/setup.sh`');
  const version = versionOf(bin, ['-v']);
  const h2 = opts.tls && opts.http2 ? nginxHttp2Config(version) : undefined;
  const dir = tmpDir('nginx');
  const port = await freePort();
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, 'tmp', t), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `# generated by wsgate bench
daemon off;
master_process on;
worker_processes ${workers};
worker_rlimit_nofile 20000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
  worker_connections ${nginxWorkerConnections(opts.maxConnections ?? 0)};
}
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      ${h2 ? "''" : 'close'};
  }
  upstream echo {
    least_conn;
${backends.ports.map((p) => `    server 127.0.0.1:${p};`).join('\n')}
${h2 ? '    keepalive 64;\n' : ''}  }
  server {
    listen 127.0.0.1:${port}${opts.tls ? ' ssl' : ''}${h2?.listenSuffix ?? ''};
${h2?.directive ? `    ${h2.directive}\n` : ''}${h2 ? `    ${NGINX_KEEPALIVE_REQUESTS}\n` : ''}${opts.tls ? `    ssl_certificate ${opts.tls.cert};\n    ssl_certificate_key ${opts.tls.key};\n` : ''}    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_connect_timeout 5s;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
    }
  }
}
`,
  );
  const child = await startLogged('nginx', bin, ['-p', dir, '-c', conf], path.join(dir, 'stderr.log'), port);
  // Wait for the workers to exist (the master binds before forking them).
  for (let i = 0; i < 100 && childPids(child.pid!).length < workers; i++) await sleep(20);
  return {
    name,
    label: `nginx ${version}, worker_processes ${workers}${h2 ? ', TLS listener with h2 (upstream keepalive 64)' : ''}`,
    urls: [wsUrl(port, opts.tls)],
    ...h2Fields(port, opts),
    // Master and worker: the report sums their RSS and CPU.
    pids: () => [child.pid!, ...childPids(child.pid!)],
    stop: async () => {
      await stopChild(child, 'SIGTERM'); // fast shutdown
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startHaproxy(backends: Backends, threads = 1, name: TargetName = 'haproxy', opts: ProxyOptions = {}): Promise<Target> {
  const bin = haproxyBinary();
  if (!bin) throw new Error('haproxy is not installed: run `bash bench/setup.sh`');
  const dir = tmpDir('haproxy');
  const port = await freePort();
  const conf = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    conf,
    `# generated by wsgate bench
global
  nbthread ${threads}
  maxconn ${Math.max(9000, opts.maxConnections ?? 0)}
  log stdout format raw local0 info

defaults
  mode http
  log global
  option httplog
  option forwardfor
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h

frontend ws
  bind 127.0.0.1:${port}${opts.tls ? ` ssl crt ${opts.tls.bundle}${opts.http2 ? ' alpn h2,http/1.1' : ''}` : ''}
  default_backend echo

backend echo
  balance leastconn
${backends.ports.map((p, i) => `  server e${i} 127.0.0.1:${p}`).join('\n')}
`,
  );
  const child = await startLogged('haproxy', bin, ['-f', conf, '-db'], path.join(dir, 'haproxy.log'), port);
  return {
    name,
    label: `HAProxy ${versionOf(bin, ['-v'])}, nbthread ${threads}${opts.tls && opts.http2 ? ', TLS listener with alpn h2,http/1.1' : ''}`,
    urls: [wsUrl(port, opts.tls)],
    // HAProxy (2.4 and later) takes WebSockets over h2 (RFC 8441) on an h2 frontend.
    ...h2Fields(port, opts, true),
    pids: () => [child.pid!],
    stop: async () => {
      await stopChild(child, 'SIGTERM'); // hard stop
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Caddy (Go): `reverse_proxy` with `lb_policy least_conn`; `gomaxprocs` event loops (threads running Go code). */
export async function startCaddy(backends: Backends, gomaxprocs = 1, name: TargetName = 'caddy', opts: ProxyOptions = {}): Promise<Target> {
  const bin = caddyBinary();
  if (!bin) throw new Error('caddy is not installed: run `bash bench/setup.sh`');
  const dir = tmpDir('caddy');
  const port = await freePort();
  const conf = path.join(dir, 'Caddyfile');
  fs.writeFileSync(conf, caddyfile({ port, backendPorts: backends.ports, accessLog: path.join(dir, 'access.log'), ...(opts.tls ? { tls: opts.tls } : {}) }));
  const env = caddyEnvironment(process.env, dir, gomaxprocs);
  const child = await startLogged('caddy', bin, ['run', '--config', conf, '--adapter', 'caddyfile'], path.join(dir, 'caddy.log'), port, env);
  return {
    name,
    label: `Caddy ${versionOf(bin, ['version'])}, GOMAXPROCS=${gomaxprocs}${opts.tls && opts.http2 ? ', TLS listener (h2 by default)' : ''}`,
    urls: [wsUrl(port, opts.tls)],
    ...h2Fields(port, opts),
    pids: () => [child.pid!],
    stop: async () => {
      await stopChild(child, 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bare Node.js relay (bench/node-relay.ts): what Node costs before wsgate does anything. */
/** `nodeArgs`: extra node flags, e.g. --cpu-prof (bench/profile-upgrades.ts). */
export async function startNodeRelay(backends: Backends, nodeArgs: readonly string[] = []): Promise<Target> {
  const child = track(
    spawn(NODE, [...nodeArgs, path.join(REPO, 'dist/bench/node-relay.js'), '0', ...backends.ports.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const port = await firstLineJson<{ port: number }>(child, 'node-relay').then((m) => m.port);
  return {
    name: 'node-relay',
    label: `bare Node.js ${process.versions.node} relay (bench/node-relay.ts: http upgrade, net.connect, raw heads, data listeners; no routing, tracking, metrics or logs)`,
    urls: [`ws://127.0.0.1:${port}${WS_PATH}`],
    pids: () => [child.pid!],
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

/**
 * The bare Node.js HTTP relay on a TLS listener with h2 (bench/node-relay-tls.ts): what Node's
 * http2 and http modules cost per plain request before wsgate does anything (the `requests`
 * scenario only; it takes no WebSockets).
 */
export async function startNodeRelayTls(backends: Backends, tls: TlsFiles): Promise<Target> {
  const child = track(
    spawn(NODE, [path.join(REPO, 'dist/bench/node-relay-tls.js'), '0', tls.cert, tls.key, ...backends.ports.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const port = await firstLineJson<{ port: number }>(child, 'node-relay-tls').then((m) => m.port);
  return {
    name: 'node-relay-tls',
    label: `bare Node.js ${process.versions.node} HTTP relay (bench/node-relay-tls.ts: http2.createSecureServer with allowHTTP1, http.request over a keep-alive agent of 256, headers copied, bodies piped; no routing, metrics or logs)`,
    urls: [],
    ...(tls.pem ? { ca: tls.pem } : {}),
    h2: { requestUrl: `https://127.0.0.1:${port}${WS_PATH}`, webSocketsOverH2: false },
    pids: () => [child.pid!],
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

export function directTarget(backends: Backends): Target {
  return {
    name: 'direct',
    label: 'direct to the echo backends (no proxy)',
    urls: backends.ports.map((p) => `ws://127.0.0.1:${p}${WS_PATH}`),
    pids: () => [],
    stop: async () => {},
  };
}

/** The other build the `-alt` targets run (WSGATE_ALT_CLI). */
function altCli(name: TargetName): string {
  const cli = process.env.WSGATE_ALT_CLI;
  if (!cli) throw new Error(`target ${name} needs WSGATE_ALT_CLI=<other build>/dist/src/cli.js`);
  return cli;
}

/** wsgate as the HTTP/2 scenarios run it (`wsgate-tls`, `wsgate-alt-tls`). */
function wsgateTls(name: TargetName, cli?: string): WsgateOptions {
  return { name, ...(cli ? { cli } : {}), tls: benchCertificate(), http2: true, specLines: PLAIN_GET, describe: 'TLS listener (h2 and RFC 8441 on by default), http.methods GET' };
}

/** `extra`: options for a wsgate target on top of its own (e.g. nodeArgs for --cpu-prof). */
export async function startTarget(name: TargetName, backends: Backends, extra: Pick<WsgateOptions, 'nodeArgs'> = {}): Promise<Target> {
  switch (name) {
    case 'wsgate':
      return startWsgate(backends, extra);
    case 'nginx':
      return startNginx(backends);
    case 'haproxy':
      return startHaproxy(backends);
    case 'caddy':
      return startCaddy(backends);
    case 'wsgate-2':
      return startWsgate(backends, { workers: 2, name: 'wsgate-2' });
    case 'nginx-2':
      return startNginx(backends, 2, 'nginx-2');
    case 'haproxy-2':
      return startHaproxy(backends, 2, 'haproxy-2');
    case 'caddy-2':
      return startCaddy(backends, 2, 'caddy-2');
    case 'node-relay':
      return startNodeRelay(backends);
    case 'direct':
      return directTarget(backends);
    case 'wsgate-tls':
      return startWsgate(backends, wsgateTls(name));
    case 'nginx-tls':
      return startNginx(backends, 1, name, { tls: benchCertificate(), http2: true });
    case 'haproxy-tls':
      return startHaproxy(backends, 1, name, { tls: benchCertificate(), http2: true });
    case 'caddy-tls':
      return startCaddy(backends, 1, name, { tls: benchCertificate(), http2: true });
    case 'node-relay-tls':
      return startNodeRelayTls(backends, benchCertificate());
    case 'wsgate-messages':
      return startWsgate(backends, { name: 'wsgate-messages', specLines: ALL_MESSAGE_LIMITS });
    case 'wsgate-features':
      return startWsgateWithFeatures(backends, 'wsgate-features', ALL_ROUTE_FEATURES, extra);
    case 'wsgate-alt':
      return startWsgate(backends, { cli: altCli(name), name, ...extra });
    case 'wsgate-alt-tls':
      return startWsgate(backends, { ...wsgateTls(name, altCli(name)), ...extra });
    default: {
      const feature = featureOf(name);
      if (!feature) throw new Error(`unknown target ${name}`);
      return startWsgateWithFeatures(backends, name, [feature], extra);
    }
  }
}

/** wsgate whose route has `features` on, and clients that send what passes them. */
function startWsgateWithFeatures(backends: Backends, name: TargetName, features: readonly Feature[], extra: Pick<WsgateOptions, 'nodeArgs'> = {}): Promise<Target> {
  return startWsgate(backends, {
    ...extra,
    name,
    specLines: featureSpecLines(features),
    secrets: featureSecrets(features),
    clientHeaders: featureClientHeaders(features, Math.floor(Date.now() / 1000)),
    describe: `route with ${features.join(', ')} on`,
  });
}
