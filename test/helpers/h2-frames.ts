// A small HTTP/2 frame writer and reader for tests that must send what a well-behaved client
// never would (floods, malformed heads): frames by hand (RFC 9113 4.1), header blocks as HPACK
// literals without indexing (RFC 7541 6.2.2), so every byte sent is the test's choice.

import net from 'node:net';
import tls from 'node:tls';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 5.1), first byte's high bits from `mask`. */
function hpackInt(value: number, prefixBits: number, mask = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([mask | value]);
  const bytes = [mask | max];
  let v = value - max;
  while (v >= 128) {
    bytes.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function hpackString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return Buffer.concat([hpackInt(b.length, 7), b]);
}

/** A header block of literal fields without indexing, new names, in the order given (duplicates kept). */
export function headerBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(fields.map(([name, value]) => Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)])));
}

export function settings(entries: ReadonlyArray<readonly [number, number]> = []): Buffer {
  const p = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, p);
}

export function rstStream(streamId: number, code: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, p);
}

export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** GOAWAY's error code (RFC 9113 6.8). */
export function goAwayCode(f: ReceivedFrame): number {
  return f.payload.readUInt32BE(4);
}

/** RST_STREAM's error code. */
export function rstCode(f: ReceivedFrame): number {
  return f.payload.readUInt32BE(0);
}

/**
 * A raw HTTP/2 client connection: the preface and an empty SETTINGS are sent on connect; the
 * server's SETTINGS are acknowledged; every frame received is kept in `frames`.
 */
export class RawH2 {
  readonly frames: ReceivedFrame[] = [];
  /** Resolves when the server closed the connection (or it failed). */
  readonly closed: Promise<void>;
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.wake());
  }

  /** Over TLS with ALPN h2 (`ca` trusted) or, without `tlsOpts`, over plain TCP (h2c with prior knowledge). */
  static connect(port: number, tlsOpts?: { ca: string; servername: string }): Promise<RawH2> {
    return new Promise((resolve, reject) => {
      const socket = tlsOpts
        ? tls.connect({ host: '127.0.0.1', port, ca: tlsOpts.ca, servername: tlsOpts.servername, ALPNProtocols: ['h2'] })
        : net.connect({ host: '127.0.0.1', port });
      socket.once(tlsOpts ? 'secureConnect' : 'connect', () => {
        socket.off('error', reject);
        const c = new RawH2(socket);
        socket.write(Buffer.concat([PREFACE, settings()]));
        resolve(c);
      });
      socket.once('error', reject);
    });
  }

  /** Stops reading what the server sends (its writes then back up). */
  stopReading(): void {
    this.socket.pause();
  }

  /** Writes `data`; resolves once it is handed to the kernel or the connection is gone (false). */
  write(data: Buffer): Promise<boolean> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => {
      const ok = this.socket.write(data, (err) => {
        if (err) resolve(false);
      });
      if (ok) return resolve(true);
      const onDrain = () => {
        this.socket.off('close', onClose);
        resolve(true);
      };
      const onClose = () => {
        this.socket.off('drain', onDrain);
        resolve(false);
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  /** Resolves with the first received frame `match` accepts, or undefined once the connection closed without one. */
  async next(match: (f: ReceivedFrame) => boolean): Promise<ReceivedFrame | undefined> {
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.socket.destroyed) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) break;
      const f: ReceivedFrame = { type: this.buffered[3]!, flags: this.buffered[4]!, streamId: this.buffered.readUInt32BE(5) & 0x7fffffff, payload: this.buffered.subarray(9, 9 + length) };
      this.buffered = this.buffered.subarray(9 + length);
      this.frames.push(f);
      if (f.type === FRAME.SETTINGS && !(f.flags & FLAG.ACK)) this.socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
    }
    this.wake();
  }
}

/** The HEADERS frame of a request on `streamId` (END_HEADERS; END_STREAM when `endStream`). */
export function requestHeaders(streamId: number, fields: ReadonlyArray<readonly [string, string]>, endStream: boolean): Buffer {
  return frame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), streamId, headerBlock(fields));
}
