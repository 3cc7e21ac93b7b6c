// Runs the real `wsgate` CLI as a child process, the way users run it.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cliPath = path.join(repoRoot, 'dist/src/cli.js');

export interface WsgateChild {
  readonly child: ChildProcess;
  /** The proxy listener's port (`controller --no-proxy`: the snapshot stream's). */
  readonly proxyPort: number;
  readonly adminPort: number;
  /** The TLS listener's port, when started with --tls-listen. */
  readonly tlsPort: number | undefined;
  readonly url: string;
  /** Everything written to stderr so far (JSON log lines). */
  stderr(): string;
  /** Resolves when stderr contains a line matching `pattern` (bounded by `timeoutMs`). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempDir(prefix = 'wsgate-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `listen`, `adminListen`: the main and admin listeners (default 127.0.0.1:0; a wildcard or IPv6 host for tests of what that changes); `env`: added to this process's. */
export async function startWsgate(args: string[], opts: { timeoutMs?: number; listen?: string; adminListen?: string; env?: NodeJS.ProcessEnv } = {}): Promise<WsgateChild> {
  const child = spawn(
    process.execPath,
    [cliPath, ...args, '--listen', opts.listen ?? '127.0.0.1:0', '--admin-listen', opts.adminListen ?? '127.0.0.1:0', '--log-level', 'debug'],
    // One data plane unless a test asks for more (--workers N): which worker the kernel gives a
    // connection is not under the test's control, and tests of the workers say --workers.
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WSGATE_WORKERS: process.env.WSGATE_WORKERS ?? '1', ...opts.env } },
  );
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitFor = (read: () => RegExpExecArray | null, what: string, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = read();
        if (m) {
          cleanup();
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}\nstdout: ${stdout}\nstderr: ${stderr.slice(-4000)}`));
      }, timeoutMs);
      const onExit = () => {
        cleanup();
        reject(new Error(`wsgate exited while waiting for ${what}\nstdout: ${stdout}\nstderr: ${stderr.slice(-4000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.once('exit', onExit);
      check();
    });

  const m = await waitFor(
    () => /wsgate listening (?:proxy|snapshots)=\S+:(\d+) admin=\S+:(\d+)(?: tls=\S+:(\d+))?\n/.exec(stdout),
    'the listening line',
    opts.timeoutMs ?? 20000,
  );
  const proxyPort = Number(m[1]);
  const adminPort = Number(m[2]);
  return {
    child,
    proxyPort,
    adminPort,
    tlsPort: m[3] === undefined ? undefined : Number(m[3]),
    url: `ws://127.0.0.1:${proxyPort}`,
    stderr: () => stderr,
    waitForLog: async (pattern, timeoutMs = 10000) => {
      const start = stderr.length;
      const found = await waitFor(() => pattern.exec(stderr.slice(start)), String(pattern), timeoutMs);
      return found[0];
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the CLI to completion (for `validate`). */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
