import WebSocket from 'ws';
import type { Hello } from '../../examples/echo-server.js';

export interface OpenClient {
  ws: WebSocket;
  hello: Hello;
  /** The Set-Cookie lines of the 101. */
  setCookie: string[];
  /** Sends a text message and resolves with the echo. */
  echo(text: string): Promise<string>;
  close(): Promise<number>;
}

/** Connects, waits for the echo backend's greeting. Rejects with the HTTP status on refusal. */
export function connect(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<OpenClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, handshakeTimeout: 10000 });
    const queue: string[] = [];
    const waiting: Array<(m: string) => void> = [];
    ws.on('message', (data) => {
      const text = data.toString();
      const w = waiting.shift();
      if (w) w(text);
      else queue.push(text);
    });
    const next = () => new Promise<string>((res) => {
      const q = queue.shift();
      if (q !== undefined) res(q);
      else waiting.push(res);
    });
    let setCookie: string[] = [];
    ws.once('upgrade', (res) => (setCookie = res.headers['set-cookie'] ?? []));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers }));
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('open', () => {
      next().then((greeting) => {
        const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)));
        resolve({
          ws,
          hello: JSON.parse(greeting) as Hello,
          setCookie,
          echo: (text) => {
            ws.send(text);
            return next();
          },
          close: () => {
            if (ws.readyState === WebSocket.OPEN) ws.close(1000);
            else if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
            return closed;
          },
        });
      }, reject);
    });
  });
}

type UpgradeOptions = { protocols?: string[]; headers?: Record<string, string> };

export async function expectStatus(url: string, opts: UpgradeOptions = {}): Promise<number> {
  return (await upgradeOutcome(url, opts)).status;
}

/** The status and headers an upgrade is answered with: 101 and {} when it succeeds (the connection is closed again). */
export async function upgradeOutcome(url: string, opts: UpgradeOptions = {}): Promise<{ status: number; headers: Record<string, string> }> {
  try {
    const c = await connect(url, opts);
    await c.close();
    return { status: 101, headers: {} };
  } catch (err) {
    const e = err as { status?: number; headers?: Record<string, string> };
    if (e.status === undefined) throw err;
    return { status: e.status, headers: e.headers ?? {} };
  }
}
