// A raw HTTP/1.1 backend that records every request it parses, per connection: method, target,
// headers (as received, in order) and body bytes. Its parser is strict (RFC 9112): exactly one
// of Content-Length or Transfer-Encoding: chunked, CRLF line ends; anything else is recorded as
// a parse error and the connection is closed. It answers each request with 200 and a JSON body
// naming the request (connection, index, method, target), Content-Length framed, keep-alive.
// Targets under /early/ are answered 401 as soon as their head is parsed (before the body);
// under /close/ the connection is destroyed once the head is parsed.

import net from 'node:net';

export interface RecordedRequest {
  readonly conn: number;
  /** Index of the request on its connection (0 first). */
  readonly index: number;
  readonly method: string;
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  body: Buffer;
  /** The body was read to its end (false: the connection closed or failed mid-request). */
  complete: boolean;
}

export interface RecordingBackend {
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Parse errors, per connection. */
  readonly errors: Array<{ conn: number; message: string }>;
  /** Connections accepted so far, and which of them have closed. */
  connections(): number;
  closed(conn: number): boolean;
  /** Resolves with the first recorded request for which `match` is true (now or later). */
  waitFor(match: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Resolves when connection `conn` has closed. */
  waitClosed(conn: number, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/** The header's value (case-insensitive name), joined with ", " when repeated. */
export function headerOf(r: RecordedRequest, name: string): string | undefined {
  const values = r.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(', ');
}

type Phase = { kind: 'head' } | { kind: 'length'; left: number } | { kind: 'chunk-size' } | { kind: 'chunk-data'; left: number } | { kind: 'chunk-crlf' } | { kind: 'trailers' } | { kind: 'failed' };

const CRLF = Buffer.from('\r\n');

export async function startRecordingBackend(): Promise<RecordingBackend> {
  const requests: RecordedRequest[] = [];
  const errors: Array<{ conn: number; message: string }> = [];
  const closedConns = new Set<number>();
  const sockets = new Set<net.Socket>();
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  let connCount = 0;

  const server = net.createServer((socket) => {
    const conn = connCount++;
    sockets.add(socket);
    let buf = Buffer.alloc(0);
    let phase: Phase = { kind: 'head' };
    let current: RecordedRequest | undefined;
    let index = 0;
    const fail = (message: string) => {
      errors.push({ conn, message });
      phase = { kind: 'failed' };
      socket.destroy();
      notify();
    };
    const respond = (r: RecordedRequest, status: number) => {
      const body = JSON.stringify({ conn: r.conn, index: r.index, method: r.method, target: r.target });
      const reason = status === 200 ? 'OK' : 'Unauthorized';
      socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${r.method === 'HEAD' ? '' : body}`);
    };
    const finish = () => {
      const r = current!;
      r.complete = true;
      current = undefined;
      phase = { kind: 'head' };
      if (!r.target.startsWith('/early/')) respond(r, 200);
      notify();
    };
    /** Moves up to `wanted` buffered bytes into the current request's body; returns how many are still wanted. */
    const takeBody = (wanted: number): number => {
      const take = Math.min(wanted, buf.length);
      current!.body = Buffer.concat([current!.body, buf.subarray(0, take)]);
      buf = buf.subarray(take);
      return wanted - take;
    };
    const line = (): string | undefined => {
      const at = buf.indexOf(CRLF);
      if (at === -1) return undefined;
      const text = buf.subarray(0, at).toString('latin1');
      buf = buf.subarray(at + 2);
      return text;
    };
    const step = (): boolean => {
      switch (phase.kind) {
        case 'failed':
          return false;
        case 'head': {
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) return false;
          const head = buf.subarray(0, end).toString('latin1');
          buf = buf.subarray(end + 4);
          if (head.split('\r\n').some((l) => /[\r\n]/.test(l))) return (fail('bare CR or LF in head'), false);
          const [requestLine = '', ...lines] = head.split('\r\n');
          const m = /^([A-Z]+) (\S+) HTTP\/1\.1$/.exec(requestLine);
          if (!m) return (fail(`bad request line ${JSON.stringify(requestLine)}`), false);
          const headers: Array<[string, string]> = [];
          for (const l of lines) {
            const colon = l.indexOf(':');
            if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(l.slice(0, colon))) return (fail(`bad header line ${JSON.stringify(l)}`), false);
            headers.push([l.slice(0, colon), l.slice(colon + 1).trim()]);
          }
          current = { conn, index: index++, method: m[1]!, target: m[2]!, headers, body: Buffer.alloc(0), complete: false };
          requests.push(current);
          const lengths = headers.filter(([n]) => n.toLowerCase() === 'content-length');
          const tes = headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding');
          if (lengths.length > 0 && tes.length > 0) return (fail('both Content-Length and Transfer-Encoding'), false);
          if (lengths.length > 1 || tes.length > 1) return (fail('repeated framing header'), false);
          if (current.target.startsWith('/close/')) {
            socket.destroy();
            phase = { kind: 'failed' };
            notify();
            return false;
          }
          if (current.target.startsWith('/early/')) respond(current, 401);
          if (tes.length === 1) {
            if (tes[0]![1] !== 'chunked') return (fail(`transfer coding ${tes[0]![1]}`), false);
            phase = { kind: 'chunk-size' };
          } else if (lengths.length === 1) {
            if (!/^[0-9]+$/.test(lengths[0]![1])) return (fail('bad Content-Length'), false);
            phase = { kind: 'length', left: Number(lengths[0]![1]) };
          } else {
            finish();
          }
          notify();
          return true;
        }
        case 'length': {
          const left = takeBody(phase.left);
          if (left === 0) {
            finish();
            return true;
          }
          phase = { kind: 'length', left };
          notify();
          return false;
        }
        case 'chunk-size': {
          const l = line();
          if (l === undefined) return false;
          const m = /^([0-9a-fA-F]{1,8})(;.*)?$/.exec(l);
          if (!m) return (fail(`bad chunk size ${JSON.stringify(l)}`), false);
          const size = parseInt(m[1]!, 16);
          phase = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: size };
          return true;
        }
        case 'chunk-data': {
          const left = takeBody(phase.left);
          if (left > 0) {
            phase = { kind: 'chunk-data', left };
            return false;
          }
          phase = { kind: 'chunk-crlf' };
          return true;
        }
        case 'chunk-crlf': {
          if (buf.length < 2) return false;
          if (buf[0] !== 0x0d || buf[1] !== 0x0a) return (fail('no CRLF after chunk data'), false);
          buf = buf.subarray(2);
          phase = { kind: 'chunk-size' };
          return true;
        }
        case 'trailers': {
          const l = line();
          if (l === undefined) return false;
          if (l === '') finish();
          return true;
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let i = 0; i < 10000 && step(); i++);
      notify();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      closedConns.add(conn);
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;

  const waitUntil = <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const listener = () => {
        const v = check();
        if (v === undefined) return;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`recording backend: timed out waiting for ${what}; requests: ${JSON.stringify(requests.map((r) => [r.conn, r.method, r.target, r.complete]))}`));
      }, timeoutMs);
      listeners.add(listener);
      listener();
    });

  return {
    port,
    requests,
    errors,
    connections: () => connCount,
    closed: (conn) => closedConns.has(conn),
    waitFor: (match, timeoutMs = 5000) => waitUntil('a request', () => requests.find(match), timeoutMs),
    waitClosed: async (conn, timeoutMs = 5000) => {
      await waitUntil(`connection ${conn} to close`, () => (closedConns.has(conn) ? true : undefined), timeoutMs);
    },
    reset: () => {
      requests.length = 0;
      errors.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
