// A plain HTTP test backend (plus a WebSocket greeting on upgrade, so one route can serve both)
// that records every request: what arrived, on which TCP connection (to see wsgate pool its
// keep-alive connections), and whether the proxy aborted it before the response finished.
// Handlers are chosen by the first path segment naming one, so they work behind any rewrite
// (`/v1/sse` is the SSE handler); every other path answers `hello`.

import { createHash } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { closeWebSocketServer } from '../../examples/echo-server.js';

export interface RecordedRequest {
  readonly method: string;
  /** The request target exactly as received (raw path and query). */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Which accepted TCP connection it came on (1, 2, ...). */
  readonly socketId: number;
  /** Whether the request carried `Expect: 100-continue` when it reached this backend. */
  readonly expectedContinue: boolean;
  finished: boolean;
  /** The response was closed by the other side before it finished. */
  aborted: boolean;
  /** Settles once the response finished or was aborted. */
  readonly outcome: Promise<'finished' | 'aborted'>;
}

/** What `/hello` (and every path without a handler) answers. */
export interface HelloBody {
  backend: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface HttpBackend {
  readonly name: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Upgrades seen (the WebSocket side). */
  readonly upgrades: Array<{ url: string; headers: http.IncomingHttpHeaders }>;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** When set, every plain request is answered with this status (a failing endpoint). */
  forceStatus: number | undefined;
  /** Lets the waiting `/sse` handler send its next event. */
  releaseEvent(): void;
  /** Resolves with the first recorded request (past or future) that `match` accepts. */
  waitForRequest(match: (r: RecordedRequest) => boolean): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const BLOCK = 64 * 1024;
const MIB = 1024 * 1024;

/** Pseudo-random bytes, the same every run. */
const baseBlock = (() => {
  const b = Buffer.alloc(BLOCK);
  let x = 0x2545f491;
  for (let i = 0; i < BLOCK; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
})();

/** Block `i` of a `/download` body: the base block stamped with its index, so reordering shows. */
export function downloadBlock(i: number): Buffer {
  const b = Buffer.from(baseBlock);
  b.writeUInt32BE(i, 0);
  return b;
}

/** The sha256 of `/download?mib=N`, computed the same way the backend generates the body. */
export function downloadSha256(mib: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < (mib * MIB) / BLOCK; i++) h.update(downloadBlock(i));
  return h.digest('hex');
}

/** The body `/trailers` sends, in three chunks; its sha256 goes in the `x-checksum` trailer. */
export const TRAILER_CHUNKS = ['first chunk\n', 'second chunk\n', 'third chunk\n'];

/** A counting semaphore whose waits can be cancelled (an aborted SSE must not eat a release). */
class Gate {
  private permits = 0;
  private readonly waiters: Array<() => void> = [];
  release(): void {
    const w = this.waiters.shift();
    if (w) w();
    else this.permits++;
  }
  take(signal: AbortSignal): Promise<boolean> {
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve(true);
    }
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(w);
        if (i !== -1) this.waiters.splice(i, 1);
        resolve(false);
      };
      this.waiters.push(w);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes with backpressure; false once the response is gone. */
async function write(res: http.ServerResponse, chunk: Buffer | string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
  return !signal.aborted;
}

export async function startHttpBackend(name: string): Promise<HttpBackend> {
  const requests: RecordedRequest[] = [];
  const upgrades: HttpBackend['upgrades'] = [];
  const waiters = new Set<{ match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }>();
  const socketIds = new WeakMap<net.Socket, number>();
  const gate = new Gate();
  let connections = 0;

  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  const backend: HttpBackend = {
    name,
    port: 0,
    requests,
    upgrades,
    get connections() {
      return connections;
    },
    forceStatus: undefined,
    releaseEvent: () => gate.release(),
    waitForRequest: (match) => {
      const found = requests.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.add({ match, resolve }));
    },
    close: () => closeWebSocketServer(wss, server),
  };

  server.on('connection', (socket: net.Socket) => socketIds.set(socket, ++connections));

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, expectedContinue: boolean) => {
    const abort = new AbortController();
    let settle!: (o: 'finished' | 'aborted') => void;
    const rec: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      socketId: socketIds.get(req.socket) ?? 0,
      expectedContinue,
      finished: false,
      aborted: false,
      outcome: new Promise((resolve) => (settle = resolve)),
    };
    res.once('finish', () => {
      rec.finished = true;
      settle('finished');
    });
    // 'close' without a finished response: the proxy went away mid-request.
    res.once('close', () => {
      if (!res.writableFinished) {
        rec.aborted = true;
        abort.abort();
        settle('aborted');
      }
    });
    requests.push(rec);
    for (const w of waiters) {
      if (w.match(rec)) {
        waiters.delete(w);
        w.resolve(rec);
      }
    }
    route(req, res, abort.signal).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
      else res.destroy();
    });
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, signal: AbortSignal) => {
    const url = new URL(req.url ?? '/', 'http://backend');
    const q = url.searchParams;
    if (backend.forceStatus !== undefined) {
      req.resume();
      return json(res, backend.forceStatus, { backend: name, forced: backend.forceStatus });
    }
    const handler = url.pathname.split('/').find((s) => HANDLERS.has(s)) ?? 'hello';
    switch (handler) {
      case 'hello': {
        req.resume();
        const body: HelloBody = { backend: name, method: req.method ?? '', url: req.url ?? '', headers: req.headers };
        return json(res, 200, body);
      }
      case 'status':
        req.resume();
        return json(res, Number(q.get('code') ?? 200), { backend: name });
      case 'sse': {
        // Event 1 at once, then one event per release: the test decides when the stream moves.
        const n = Number(q.get('n') ?? 3);
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (let i = 1; i <= n; i++) {
          if (i > 1 && !(await gate.take(signal))) return;
          if (!(await write(res, `id: ${i}\nevent: tick\ndata: ${name} ${i}\n\n`, signal))) return;
        }
        return res.end();
      }
      case 'hold': {
        req.resume();
        const ms = Number(q.get('ms') ?? 1000);
        try {
          await sleep(ms, undefined, { signal });
        } catch {
          return;
        }
        return json(res, 200, { backend: name, heldMs: ms });
      }
      case 'silent':
        // Never answers; with ?headers=1 it sends the head first (a stalled stream).
        req.resume();
        if (q.get('headers') === '1') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.flushHeaders();
        }
        return;
      case 'upload': {
        const h = createHash('sha256');
        let bytes = 0;
        for await (const chunk of req as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          h.update(chunk);
        }
        return json(res, 200, { backend: name, bytes, sha256: h.digest('hex') });
      }
      case 'download': {
        req.resume();
        const blocks = (Number(q.get('mib') ?? 1) * MIB) / BLOCK;
        const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream' };
        if (q.get('chunked') !== '1') headers['content-length'] = blocks * BLOCK;
        res.writeHead(200, headers);
        for (let i = 0; i < blocks; i++) if (!(await write(res, downloadBlock(i), signal))) return;
        return res.end();
      }
      case 'trailers': {
        req.resume();
        const h = createHash('sha256');
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        for (const c of TRAILER_CHUNKS) {
          h.update(c);
          if (!(await write(res, c, signal))) return;
        }
        res.addTrailers({ 'x-checksum': h.digest('hex') });
        return res.end();
      }
      case 'echo-body': {
        res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
        for await (const chunk of req as AsyncIterable<Buffer>) if (!(await write(res, chunk, signal))) return;
        return res.end();
      }
      case 'hop-by-hop': {
        // Connection management of its own, and a field its Connection header names.
        req.resume();
        res.writeHead(200, {
          'content-type': 'text/plain',
          connection: 'keep-alive, x-private',
          'x-private': 'between backend and proxy',
          'keep-alive': 'timeout=5',
          'proxy-connection': 'keep-alive',
          upgrade: 'h2c',
          'x-public': 'end to end',
        });
        return res.end('hop-by-hop\n');
      }
      case 'reset': {
        // Half a body, then the connection is cut.
        req.resume();
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
        res.write('x'.repeat(100));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      case 'continue': {
        let bytes = 0;
        for await (const chunk of req as AsyncIterable<Buffer>) bytes += chunk.length;
        return json(res, 200, { backend: name, bytes, expectedContinue: req.headers.expect !== undefined });
      }
    }
  };

  server.on('request', (req, res) => handle(req, res, false));
  // Node answers `Expect: 100-continue` only if asked: send the 100, then handle as usual.
  server.on('checkContinue', (req, res) => {
    res.writeContinue();
    handle(req, res, true);
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgrades.push({ url: req.url ?? '', headers: req.headers });
      ws.send(JSON.stringify({ backend: name, path: req.url ?? '', protocol: ws.protocol, headers: req.headers }));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => ws.terminate());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  (backend as { port: number }).port = (server.address() as net.AddressInfo).port;
  return backend;
}

const HANDLERS = new Set(['hello', 'status', 'sse', 'hold', 'silent', 'upload', 'download', 'trailers', 'echo-body', 'continue', 'hop-by-hop', 'reset']);

export interface PlainResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
  /** Whether the client's connection was a reused keep-alive one. */
  reusedSocket: boolean;
}

/** One plain request with node:http (which, unlike fetch, sends any header as given). */
export function plainRequest(
  port: number,
  path: string,
  opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer; agent?: http.Agent | false; timeoutMs?: number; host?: string } = {},
): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: opts.host ?? '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers, reusedSocket: req.reusedSocket });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no complete response to ${opts.method ?? 'GET'} ${path} within ${opts.timeoutMs ?? 10000} ms`)), opts.timeoutMs ?? 10000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.body);
  });
}
