// The load generator: one child process (the runner forks several) driving `ws` clients.
// Every target — wsgate, nginx, HAProxy and the direct connection — gets this same code.
// Commands arrive over IPC; each gets exactly one reply with the same id.
//
//   connect    open `conns` connections (bounded concurrency) and keep them; with `timings`, each
//              handshake's duration too (the reconnect-storm scenario); with `via.h2`, as
//              extended CONNECT streams of HTTP/2 sessions (RFC 8441, bench/lib/h2-websocket.ts)
//   throughput closed loop on the held connections: each keeps `inflight` messages in flight
//   latency    open loop on the held connections: a fixed send rate, round trips recorded
//   upgrades   connect+close loops for a while (new handshakes per second)
//   release    close every held connection

import type http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { connectH2, openWebSocketOverH2 } from './lib/h2-websocket.js';

export type Command =
  | { cmd: 'connect'; id: number; urls: string[]; conns: number; concurrency: number; via?: ConnectVia; timings?: boolean; headers?: Headers }
  | { cmd: 'throughput'; id: number; size: number; inflight: number; warmupMs: number; durationMs: number }
  | { cmd: 'latency'; id: number; size: number; rate: number; warmupMs: number; durationMs: number }
  | { cmd: 'upgrades'; id: number; urls: string[]; concurrency: number; warmupMs: number; durationMs: number; headers?: Headers }
  | { cmd: 'release'; id: number }
  | { cmd: 'exit'; id: number };

/** Request headers every client sends (a route with auth and an Origin check: the features targets). */
export type Headers = Readonly<Record<string, string>>;

/** How `connect` opens its connections (capacity scenario): source addresses taken in turn, a CA for wss://. */
export interface ConnectVia {
  localAddresses?: string[];
  /** PEM of the CA (the bench's self-signed certificate) that wss:// servers are checked against. */
  ca?: string;
  /** WebSockets over HTTP/2 (RFC 8441): this many streams share one TLS connection (wss:// URLs only). */
  h2?: { streamsPerSession: number };
}

export interface ConnectReply {
  opened: number;
  failed: number;
  /** From the first dial until the last handshake settled (opened or failed). */
  ms: number;
  errors: Record<string, number>;
  /** With `timings`: each opened connection's handshake (dial to `open`), ms, ascending. */
  handshakeMs?: Float64Array;
}
export interface ThroughputReply { messages: number; seconds: number; errors: Record<string, number> }
export interface LatencyReply {
  /** Round trips in ms, ascending, of messages sent after the warm-up. */
  samples: Float64Array;
  sent: number;
  lost: number;
  /** How far the sender fell behind its schedule at worst, ms (a generator check). */
  maxLagMs: number;
  errors: Record<string, number>;
}
export interface UpgradesReply { handshakes: number; seconds: number; errors: Record<string, number> }

const held: WebSocket[] = [];
/** The HTTP/2 sessions the held RFC 8441 WebSockets run on; closed on release. */
const heldSessions: http2.ClientHttp2Session[] = [];
let errors: Record<string, number> = {};

function noteError(err: unknown): void {
  const key = err instanceof Error ? (((err as NodeJS.ErrnoException).code ?? err.message).slice(0, 80)) : String(err);
  errors[key] = (errors[key] ?? 0) + 1;
}

function takeErrors(): Record<string, number> {
  const e = errors;
  errors = {};
  return e;
}

const MAX_PAYLOAD = 1 << 20;
const CLIENT_OPTIONS: WebSocket.ClientOptions = { perMessageDeflate: false, maxPayload: MAX_PAYLOAD, handshakeTimeout: 10_000 };

function openOne(url: string, extra: WebSocket.ClientOptions = {}): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { ...CLIENT_OPTIONS, ...extra });
    ws.binaryType = 'nodebuffer';
    const onError = (err: Error) => {
      noteError(err);
      resolve(null);
    };
    ws.once('error', onError);
    ws.once('open', () => {
      ws.off('error', onError);
      ws.on('error', noteError);
      resolve(ws);
    });
  });
}

/** Connection `i` over HTTP/2: on session i / streamsPerSession of this connect call, opened by its first stream. */
function openOverH2(sessions: Map<number, Promise<http2.ClientHttp2Session>>, url: string, i: number, via: ConnectVia & { h2: { streamsPerSession: number } }, headers?: Headers): Promise<WebSocket | null> {
  const k = Math.floor(i / via.h2.streamsPerSession);
  let session = sessions.get(k);
  if (!session) {
    session = connectH2(new URL(url).origin.replace(/^wss:/, 'https:'), via.ca).then((s) => {
      heldSessions.push(s);
      s.on('error', noteError);
      return s;
    });
    sessions.set(k, session);
  }
  return session.then((s) => openWebSocketOverH2(s, url, MAX_PAYLOAD, headers)).then(
    (ws) => {
      ws.binaryType = 'nodebuffer';
      ws.on('error', noteError);
      return ws;
    },
    (err: unknown) => {
      noteError(err);
      return null;
    },
  );
}

async function connect(urls: string[], conns: number, concurrency: number, via: ConnectVia = {}, timings = false, headers?: Headers): Promise<ConnectReply> {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const sources = via.localAddresses ?? [];
  const handshakes: number[] = [];
  const sessions = new Map<number, Promise<http2.ClientHttp2Session>>();
  const h2 = via.h2;
  const lane = async () => {
    while (next < conns) {
      const i = next++;
      const dialed = performance.now();
      const url = urls[i % urls.length]!;
      const ws = h2
        ? await openOverH2(sessions, url, i, { ...via, h2 }, headers)
        : await openOne(url, {
            ...(sources.length ? { localAddress: sources[i % sources.length] } : {}),
            ...(via.ca ? { ca: via.ca } : {}),
            ...(headers ? { headers } : {}),
          });
      if (ws) {
        held.push(ws);
        if (timings) handshakes.push(performance.now() - dialed);
      } else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, conns) }, lane));
  const reply: ConnectReply = { opened: held.length, failed, ms: performance.now() - started, errors: takeErrors() };
  if (timings) reply.handshakeMs = Float64Array.from(handshakes).sort();
  return reply;
}

function throughput(size: number, inflight: number, warmupMs: number, durationMs: number): Promise<ThroughputReply> {
  const payload = Buffer.alloc(size, 0x61);
  const opts = { binary: true, compress: false } as const;
  let received = 0;
  let running = true;
  const handlers: Array<[WebSocket, (data: Buffer) => void]> = [];
  for (const ws of held) {
    const onMessage = () => {
      received++;
      if (running) ws.send(payload, opts);
    };
    ws.on('message', onMessage);
    handlers.push([ws, onMessage]);
    for (let k = 0; k < inflight; k++) ws.send(payload, opts);
  }
  return new Promise((resolve) => {
    let c0 = 0;
    let t0 = 0;
    setTimeout(() => {
      c0 = received;
      t0 = performance.now();
      setTimeout(() => {
        const messages = received - c0;
        const seconds = (performance.now() - t0) / 1000;
        running = false;
        // Let what is in flight come back before the next phase reuses the connections.
        setTimeout(() => {
          for (const [ws, h] of handlers) ws.off('message', h);
          resolve({ messages, seconds, errors: takeErrors() });
        }, 200);
      }, durationMs);
    }, warmupMs);
  });
}

function latency(size: number, rate: number, warmupMs: number, durationMs: number): Promise<LatencyReply> {
  const total = Math.ceil((rate * (warmupMs + durationMs)) / 1000);
  const sentAt = new Float64Array(total).fill(Number.NaN);
  const rtt = new Float64Array(total).fill(Number.NaN);
  const payload = Buffer.alloc(Math.max(8, size), 0x61);
  const opts = { binary: true, compress: false } as const;
  const handlers: Array<[WebSocket, (data: Buffer) => void]> = [];
  for (const ws of held) {
    const onMessage = (data: Buffer) => {
      const now = performance.now();
      const seq = data.readUInt32LE(0);
      if (seq < total) rtt[seq] = now - sentAt[seq]!;
    };
    ws.on('message', onMessage);
    handlers.push([ws, onMessage]);
  }
  const intervalMs = 1000 / rate;
  const warmupCount = Math.floor((rate * warmupMs) / 1000);
  let seq = 0;
  let maxLagMs = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Send everything that is due; timers fire about once a millisecond, so sends come in
      // small bursts on schedule. Round trips are measured from the actual send.
      while (seq < total && start + seq * intervalMs <= now) {
        const lag = now - (start + seq * intervalMs);
        if (seq >= warmupCount && lag > maxLagMs) maxLagMs = lag;
        const ws = held[seq % held.length]!;
        payload.writeUInt32LE(seq, 0);
        sentAt[seq] = performance.now();
        ws.send(payload, opts);
        seq++;
      }
      if (seq < total) {
        setTimeout(tick, 1);
        return;
      }
      // Everything sent: wait for the stragglers, then report.
      setTimeout(() => {
        for (const [ws, h] of handlers) ws.off('message', h);
        const measured = rtt.subarray(warmupCount);
        let lost = 0;
        const samples: number[] = [];
        for (const x of measured) {
          if (Number.isNaN(x)) lost++;
          else samples.push(x);
        }
        const sorted = Float64Array.from(samples).sort();
        resolve({ samples: sorted, sent: total - warmupCount, lost, maxLagMs, errors: takeErrors() });
      }, 1000);
    };
    tick();
  });
}

function upgrades(urls: string[], concurrency: number, warmupMs: number, durationMs: number, headers?: Headers): Promise<UpgradesReply> {
  const options: WebSocket.ClientOptions = headers ? { ...CLIENT_OPTIONS, headers } : CLIENT_OPTIONS;
  let opened = 0;
  let running = true;
  let live = 0;
  let n = 0;
  return new Promise((resolve) => {
    let c0 = 0;
    let t0 = 0;
    let result: UpgradesReply | undefined;
    const loop = () => {
      if (!running) {
        if (--live === 0 && result) resolve(result);
        return;
      }
      const ws = new WebSocket(urls[n++ % urls.length]!, options);
      ws.on('open', () => {
        opened++;
        ws.close(1000);
      });
      ws.on('error', noteError);
      ws.on('close', loop);
    };
    for (let i = 0; i < concurrency; i++) {
      live++;
      loop();
    }
    setTimeout(() => {
      c0 = opened;
      t0 = performance.now();
      setTimeout(() => {
        result = { handshakes: opened - c0, seconds: (performance.now() - t0) / 1000, errors: {} };
        running = false;
        // Resolves when every loop has finished its last connection (or after 5 s).
        setTimeout(() => resolve(result!), 5000).unref();
      }, durationMs);
    }, warmupMs);
  }).then((r) => ({ ...(r as UpgradesReply), errors: takeErrors() }));
}

async function release(): Promise<{ closed: number }> {
  const all = held.splice(0);
  await Promise.all(
    all.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    ),
  );
  for (const s of heldSessions.splice(0)) s.destroy();
  takeErrors();
  return { closed: all.length };
}

async function handle(msg: Command): Promise<unknown> {
  switch (msg.cmd) {
    case 'connect':
      return connect(msg.urls, msg.conns, msg.concurrency, msg.via, msg.timings, msg.headers);
    case 'throughput':
      return throughput(msg.size, msg.inflight, msg.warmupMs, msg.durationMs);
    case 'latency':
      return latency(msg.size, msg.rate, msg.warmupMs, msg.durationMs);
    case 'upgrades':
      return upgrades(msg.urls, msg.concurrency, msg.warmupMs, msg.durationMs, msg.headers);
    case 'release':
      return release();
    case 'exit':
      await release();
      setImmediate(() => process.exit(0));
      return {};
  }
}

process.on('message', (msg: Command) => {
  handle(msg).then(
    (result) => process.send!({ id: msg.id, result }),
    (err: unknown) => process.send!({ id: msg.id, error: String(err instanceof Error ? err.stack : err) }),
  );
});
process.on('disconnect', () => process.exit(0));
