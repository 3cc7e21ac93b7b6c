// WebSocket clients that number their messages and check the echoes: every echo must come back
// exactly once, in order. A client may reconnect after a close code that means "come back"
// (1001, 1012) and then re-sends what was not echoed, so its logical stream of messages is
// checked across connections. The backend is examples/echo-server.ts: a JSON greeting first,
// then an echo of every message.

import { EventEmitter } from 'node:events';
import WebSocket from 'ws';

export interface ClientOptions {
  url: string;
  /** Source address, e.g. 127.0.0.2 for a client the others must not disturb. */
  localAddress?: string;
  /** Reconnect after a close with this code (not after its own close). */
  reconnectOn?: (code: number) => boolean;
  /** Attempts per reconnect before giving up (backoff 0, 50, 100 ... 1000 ms). */
  maxAttempts?: number;
  /** Bytes of padding in each message. */
  padding?: number;
  /** No new message while this many are unanswered. */
  maxInFlight?: number;
}

export interface CloseRecord {
  code: number;
  /** performance.now() when the close event fired. */
  at: number;
  /** Closed by this client itself (stop()). */
  own: boolean;
  /** Messages sent and not echoed when it closed. */
  inFlight: number;
}

const BACKOFF_MS = [0, 50, 100, 200, 400, 800, 1000];

export class SeqClient {
  ws: WebSocket | undefined;
  /** The backend that greeted the current (or last) connection. */
  backend = '';
  state: 'idle' | 'open' | 'reconnecting' | 'closed' | 'failed' = 'idle';
  /** Next sequence number to send = messages sent (logical stream). */
  sent = 0;
  /** Every message below this was echoed, in order. */
  acked = 0;
  /** Echoes that skipped numbers (messages that never came back). */
  lost = 0;
  /** Echoes older than one already seen (duplicates or reordering). */
  reordered = 0;
  /** Echoes checked. */
  checked = 0;
  resent = 0;
  connects = 0;
  failedAttempts = 0;
  readonly failures: string[] = [];
  readonly closes: CloseRecord[] = [];
  private stopping = false;
  /** Called once nothing is unanswered (stop() waits on it). */
  private answered: (() => void) | undefined;
  private readonly payload: string;
  private readonly maxInFlight: number;

  constructor(
    readonly opts: ClientOptions,
    private readonly notify: () => void = () => {},
  ) {
    this.payload = 'x'.repeat(opts.padding ?? 16);
    this.maxInFlight = opts.maxInFlight ?? 64;
  }

  /** One connection attempt; resolves once the backend's greeting arrived. */
  connectOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.opts.url, {
        handshakeTimeout: 10000,
        perMessageDeflate: false,
        ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
      });
      let greeted = false;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      ws.on('error', (err) => fail(err));
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        fail(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers }));
        ws.terminate();
      });
      ws.on('message', (data: Buffer) => {
        if (!greeted) {
          greeted = true;
          try {
            this.backend = (JSON.parse(data.toString()) as { backend: string }).backend;
          } catch {
            this.backend = '?';
          }
          this.ws = ws;
          this.state = 'open';
          this.connects++;
          // What the last connection did not get back is sent again, in order.
          for (let seq = this.acked; seq < this.sent; seq++) {
            ws.send(`${seq}|${this.payload}`);
            this.resent++;
          }
          settled = true;
          resolve();
          this.notify();
          return;
        }
        this.onEcho(data);
      });
      ws.once('close', (code) => {
        if (!greeted) {
          fail(new Error(`closed (${code}) before the greeting`));
          return;
        }
        this.onClose(code);
      });
    });
  }

  /** Connects, retrying with backoff; false once `maxAttempts` failed. */
  async connect(): Promise<boolean> {
    const attempts = this.opts.maxAttempts ?? 30;
    for (let i = 0; i < attempts; i++) {
      const delay = BACKOFF_MS[Math.min(i, BACKOFF_MS.length - 1)]!;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (this.stopping) return false;
      try {
        await this.connectOnce();
        return true;
      } catch (err) {
        this.failedAttempts++;
        if (this.failures.length < 5) this.failures.push((err as Error).message);
      }
    }
    this.state = 'failed';
    this.notify();
    return false;
  }

  /** Sends the next numbered message; false when not open or too many are unanswered. */
  send(): boolean {
    if (this.state !== 'open' || this.stopping || !this.ws || this.ws.readyState !== WebSocket.OPEN || this.sent - this.acked >= this.maxInFlight) return false;
    this.ws.send(`${this.sent}|${this.payload}`);
    this.sent++;
    return true;
  }

  /** Stops sending, waits for the echoes still due (bounded), closes with 1000 and waits for the close. */
  async stop(): Promise<void> {
    this.stopping = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) {
      this.state = 'closed';
      return;
    }
    if (this.unanswered > 0 && ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 5000);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.answered = done;
        ws.once('close', done);
      });
      this.answered = undefined;
    }
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.close(1000);
    const timer = setTimeout(() => ws.terminate(), 5000);
    await closed;
    clearTimeout(timer);
  }

  get unanswered(): number {
    return this.sent - this.acked;
  }

  private onEcho(data: Buffer): void {
    const text = data.toString();
    const bar = text.indexOf('|');
    const seq = Number(bar === -1 ? text : text.slice(0, bar));
    if (seq === this.acked) {
      this.acked++;
      this.checked++;
    } else if (seq > this.acked) {
      this.lost += seq - this.acked;
      this.acked = seq + 1;
      this.checked++;
    } else {
      this.reordered++;
    }
    if (this.acked === this.sent) {
      this.answered?.();
      this.notify();
    }
  }

  private onClose(code: number): void {
    const own = this.stopping;
    this.closes.push({ code, at: performance.now(), own, inFlight: this.sent - this.acked });
    this.ws = undefined;
    if (own) {
      this.state = 'closed';
    } else if (this.opts.reconnectOn?.(code)) {
      this.state = 'reconnecting';
      void this.connect();
    } else {
      this.state = 'closed';
    }
    this.notify();
  }
}

export interface FleetSummary {
  clients: number;
  open: number;
  sent: number;
  checked: number;
  lost: number;
  reordered: number;
  /** Messages unanswered at closes the client did not ask for (re-sent when it reconnected). */
  inFlightAtClose: number;
  resent: number;
  /** Unanswered now. */
  unanswered: number;
  reconnects: number;
  failedAttempts: number;
  failedClients: number;
  /** Closes the clients did not ask for, by code. */
  closes: Record<string, number>;
  ownCloses: Record<string, number>;
}

/** Many clients, one traffic driver, and waits that re-check on every client event. */
export class Fleet extends EventEmitter {
  readonly clients: SeqClient[] = [];
  private scheduled = false;

  constructor() {
    super();
    this.setMaxListeners(100);
  }

  add(opts: ClientOptions): SeqClient {
    const c = new SeqClient(opts, () => this.changed());
    this.clients.push(c);
    return c;
  }

  /** Coalesced: listeners run at most once per event-loop turn. */
  changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.emit('change');
    });
  }

  /** Connects `clients` with at most `concurrency` handshakes at once; throws if any fails for good. */
  async connectAll(clients: SeqClient[], concurrency = 64): Promise<void> {
    let next = 0;
    const failed: SeqClient[] = [];
    const worker = async () => {
      while (next < clients.length) {
        const c = clients[next++]!;
        if (!(await c.connect())) failed.push(c);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
    if (failed.length > 0) throw new Error(`${failed.length} clients could not connect: ${failed[0]!.failures.join('; ')}`);
  }

  /** Every client sends one message per `periodMs`, spread over ticks of `tickMs`. */
  startTraffic(periodMs: number, tickMs = 50, clients: SeqClient[] = this.clients): () => void {
    const slots = Math.max(1, Math.round(periodMs / tickMs));
    let tick = 0;
    const timer = setInterval(() => {
      const slot = tick++ % slots;
      for (let i = slot; i < clients.length; i += slots) clients[i]!.send();
    }, tickMs);
    return () => clearInterval(timer);
  }

  /** Resolves when `pred` holds (checked on every client event); rejects after `timeoutMs`. */
  waitFor(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.off('change', check);
      };
      this.on('change', check);
      check();
    });
  }

  /** Waits until every open client has all its messages back. */
  settle(timeoutMs: number, clients: SeqClient[] = this.clients): Promise<void> {
    return this.waitFor('every echo', () => clients.every((c) => c.state !== 'open' || c.unanswered === 0), timeoutMs);
  }

  async stopAll(clients: SeqClient[] = this.clients, concurrency = 256): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < clients.length) await clients[next++]!.stop();
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
  }

  summary(clients: SeqClient[] = this.clients): FleetSummary {
    const s: FleetSummary = {
      clients: clients.length,
      open: 0,
      sent: 0,
      checked: 0,
      lost: 0,
      reordered: 0,
      inFlightAtClose: 0,
      resent: 0,
      unanswered: 0,
      reconnects: 0,
      failedAttempts: 0,
      failedClients: 0,
      closes: {},
      ownCloses: {},
    };
    for (const c of clients) {
      if (c.state === 'open') s.open++;
      if (c.state === 'failed') s.failedClients++;
      s.sent += c.sent;
      s.checked += c.checked;
      s.lost += c.lost;
      s.reordered += c.reordered;
      s.resent += c.resent;
      s.unanswered += c.unanswered;
      s.reconnects += Math.max(0, c.connects - 1);
      s.failedAttempts += c.failedAttempts;
      for (const cl of c.closes) {
        const into = cl.own ? s.ownCloses : s.closes;
        into[cl.code] = (into[cl.code] ?? 0) + 1;
        if (!cl.own) s.inFlightAtClose += cl.inFlight;
      }
    }
    return s;
  }
}

/** `# label: k=v k=v` lines, the figures every scenario prints. */
export function report(label: string, figures: Record<string, unknown>): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  console.log(`# ${label}: ${parts.join(' ')}`);
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
