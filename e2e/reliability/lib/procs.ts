// Separate processes for the reliability scenarios: wsgate (the real CLI) and echo backends
// (examples/echo-server.ts), each with its pid, so faults can be injected with signals and
// resources (RSS, fds) read from /proc. wsgate's log goes to a file, never through a pipe the
// test must keep draining: a busy test process must not slow wsgate down.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { cliPath, repoRoot, tempDir } from '../../../test/helpers/wsgate-child.js';
import { parseMetrics, type Metrics } from './metrics.js';

export { repoRoot, tempDir };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GateProc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly proxyHost: string;
  readonly proxyPort: number;
  readonly adminPort: number;
  readonly url: string;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  /** GET on the admin listener (a new connection each time, closed after the answer). */
  admin(pathname: string): Promise<{ status: number; body: string }>;
  metrics(): Promise<Metrics>;
  debugRoutes(): Promise<DebugRoutes>;
  /** Resident set size in bytes (VmRSS). */
  rss(): number;
  /** Open file descriptors (/proc/PID/fd). */
  fds(): number;
  /** wsgate's log so far. */
  log(): string;
  /** Warn and error log lines by message. */
  problems(): Record<string, number>;
  /** Sends `signal` (default SIGTERM) and waits for the exit, SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

export interface DebugRoutes {
  version: number;
  ejected: Record<string, { failures: number; ejectedUntil: number }>;
  routes: Array<{
    key: string;
    path: string;
    endpoints: Array<{ id: string; ready: boolean; terminating: boolean; active: number; ejected: boolean }>;
  }>;
}

export interface GateOptions {
  /** HOST:PORT; default 127.0.0.1:0. */
  listen?: string;
  adminListen?: string;
  logLevel?: string;
  timeoutMs?: number;
  /** Where the log file goes (the caller removes it). */
  dir: string;
  env?: NodeJS.ProcessEnv;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Waits for a line matching `re` on the child's stdout (bounded); rejects if it exits first. */
function stdoutLine(child: ChildProcess, re: RegExp, what: string, timeoutMs: number, explain: () => string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = re.exec(out);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready\nstdout: ${out}\n${explain()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} not ready within ${timeoutMs} ms\nstdout: ${out}\n${explain()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout!.resume();
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * GET without keep-alive (so no idle connection stays open in the process measured), bounded.
 */
export function httpGet(url: string, timeoutMs = 10000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Polls (100 ms) until the process holds at most `baseline` fds; returns the last count. */
export async function waitForFds(pid: number, baseline: number, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let n = countFds(pid);
  while (n > baseline && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    n = countFds(pid);
  }
  return n;
}

export function readRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export function countFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Starts `wsgate ARGS...` (standalone or controller) and waits for its listening line. */
export async function startGate(args: string[], opts: GateOptions): Promise<GateProc> {
  const logFile = path.join(opts.dir, `wsgate-${Date.now()}-${Math.floor(Math.random() * 1e6)}.log`);
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [cliPath, ...args, '--listen', opts.listen ?? '127.0.0.1:0', '--admin-listen', opts.adminListen ?? '127.0.0.1:0', '--log-level', opts.logLevel ?? 'info'],
    { stdio: ['ignore', 'pipe', logFd], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) },
  );
  fs.closeSync(logFd);
  const exited = exitOf(child);
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const m = await stdoutLine(child, /wsgate listening proxy=(\S+):(\d+) admin=\S+:(\d+)/, 'wsgate', opts.timeoutMs ?? 20000, () => `log: ${log().slice(-4000)}`);
  const proxyHost = m[1]!;
  const proxyPort = Number(m[2]);
  const adminPort = Number(m[3]);
  const admin = (pathname: string) => httpGet(`http://127.0.0.1:${adminPort}${pathname}`);
  return {
    child,
    pid: child.pid!,
    proxyHost,
    proxyPort,
    adminPort,
    url: `ws://127.0.0.1:${proxyPort}`,
    logFile,
    exited,
    admin,
    metrics: async () => parseMetrics((await admin('/metrics')).body),
    debugRoutes: async () => JSON.parse((await admin('/debug/routes')).body) as DebugRoutes,
    rss: () => readRss(child.pid!),
    fds: () => countFds(child.pid!),
    log,
    problems: () => {
      const out: Record<string, number> = {};
      for (const line of log().split('\n')) {
        if (!/"level":(40|50|60)/.test(line)) continue;
        let msg = line;
        try {
          msg = (JSON.parse(line) as { msg?: string }).msg ?? line;
        } catch {
          /* keep the raw line */
        }
        out[msg] = (out[msg] ?? 0) + 1;
      }
      return out;
    },
    stop: (signal = 'SIGTERM', timeoutMs = 30000) => stopChild(child, exited, signal, timeoutMs),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<Exit>, signal: NodeJS.Signals, timeoutMs: number): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

export interface EchoProc {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  kill(signal?: NodeJS.Signals): Promise<Exit>;
}

/**
 * `node dist/examples/echo-server.js NAME PORT HOST` as its own process (inside network
 * namespace `netns` when given).
 */
export async function startEchoProc(name: string, opts: { host?: string; port?: number; netns?: string } = {}): Promise<EchoProc> {
  const host = opts.host ?? '127.0.0.1';
  const argv = [path.join(repoRoot, 'dist/examples/echo-server.js'), name, String(opts.port ?? 0), host];
  const child = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = exitOf(child);
  const m = await stdoutLine(child, /echo backend \S+ on (\S+):(\d+)/, `echo backend ${name}`, 15000, () => `stderr: ${stderr}`);
  return {
    name,
    host: m[1]!,
    port: Number(m[2]),
    pid: child.pid!,
    child,
    exited,
    kill: (signal = 'SIGKILL') => stopChild(child, exited, signal, 5000),
  };
}

/** Starts a compiled helper script of this suite as its own process; resolves on the line `re`. */
export async function startScript(
  script: string,
  args: string[],
  re: RegExp,
  opts: { netns?: string; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray; exited: Promise<Exit>; kill(signal?: NodeJS.Signals): Promise<Exit> }> {
  const argv = [script, ...args];
  const child = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = exitOf(child);
  const match = await stdoutLine(child, re, path.basename(script), opts.timeoutMs ?? 15000, () => `stderr: ${stderr}`);
  return { child, match, exited, kill: (signal = 'SIGKILL') => stopChild(child, exited, signal, 5000) };
}

/** The soft limit on open files of this process (children inherit it). */
export function fdLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/** Fails early with a clear message when the fd limit cannot hold the scenario. */
export function requireFdLimit(needed: number): void {
  const limit = fdLimit();
  if (limit < needed) throw new Error(`this scenario needs ${needed} open files per process; the limit is ${limit} (raise it: ulimit -n ${needed})`);
}
