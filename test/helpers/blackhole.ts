// A TCP listener whose accept queue is full, so further connects hang without an answer:
// the loopback way to produce a connect timeout. Node accepts every connection by itself,
// so a tiny python3 listener that never calls accept() holds the port.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const SCRIPT = `
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(0)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;

export interface Blackhole {
  port: number;
  close(): Promise<void>;
}

export async function startBlackhole(): Promise<Blackhole> {
  const child: ChildProcess = spawn('python3', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`blackhole exited ${code}`)));
  });
  // With backlog 0 the queue holds one connection: take it, and every later SYN is dropped.
  const filler = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    filler.once('connect', () => resolve());
    filler.once('error', reject);
  });
  return {
    port,
    close: async () => {
      filler.destroy();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end();
      child.kill();
      await exited;
    },
  };
}
