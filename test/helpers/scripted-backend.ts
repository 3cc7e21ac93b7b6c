// A plain-HTTP backend whose every answer is scripted by the test: the n-th request (1, 2, ...)
// gets the status and body `script` returns, or no answer at all ('hold': the request waits
// until the backend closes). Each request's whole body and the test clock's time of its arrival
// are recorded, and so is the time each answer was written, for tests of retries and backoff.

import http from 'node:http';
import type net from 'node:net';

export type ScriptedAnswer = { readonly status: number; readonly body: string } | 'hold';

export interface ScriptedRequest {
  readonly n: number;
  readonly method: string;
  readonly url: string;
  readonly body: Buffer;
  /** performance.now() when its body had arrived whole. */
  readonly arrivedAt: number;
  /** performance.now() when its answer was written (undefined: held). */
  answeredAt: number | undefined;
}

export interface ScriptedBackend {
  readonly port: number;
  readonly requests: ScriptedRequest[];
  /** Resolves once `count` requests have arrived. */
  arrived(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startScriptedBackend(script: (n: number) => ScriptedAnswer): Promise<ScriptedBackend> {
  const requests: ScriptedRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: ScriptedRequest = { n: requests.length + 1, method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks), arrivedAt: performance.now(), answeredAt: undefined };
      requests.push(record);
      for (const w of waiters.splice(0)) {
        if (requests.length >= w.count) w.resolve();
        else waiters.push(w);
      }
      const answer = script(record.n);
      if (answer === 'hold') return;
      record.answeredAt = performance.now();
      res.writeHead(answer.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(answer.body) }).end(answer.body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    arrived: (count) => (requests.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
