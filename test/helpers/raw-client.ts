// A client connection that sends exact bytes (in as many writes as the test wants) and parses
// the HTTP/1.1 responses that come back, one by one: for smuggling tests, where no client
// library would send what is sent and every response on the connection matters.

import net from 'node:net';

export interface ParsedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface RawClient {
  write(bytes: string | Buffer): void;
  /** Half-closes: no more bytes from the client. */
  end(): void;
  /** The next complete final response (1xx ones are skipped); `bodyless` for the answer to HEAD. */
  response(opts?: { bodyless?: boolean; timeoutMs?: number }): Promise<ParsedResponse>;
  /** Resolves once the server closed the connection (after every byte it sent was read). */
  closed(timeoutMs?: number): Promise<void>;
  readonly isClosed: boolean;
  destroy(): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  let isClosed = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  socket.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    notify();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    isClosed = true;
    notify();
  });

  /** A complete response at the start of `buf`: it and how many bytes it took, or undefined. */
  const parse = (bodyless: boolean): { response: ParsedResponse; used: number } | undefined => {
    const end = buf.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(buf.toString('latin1'))}`);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    let at = end + 4;
    if (bodyless || status === 204 || status === 304 || (status >= 100 && status < 200)) return { response: { status, headers, body: Buffer.alloc(0) }, used: at };
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (buf.length < at + n) return undefined;
      return { response: { status, headers, body: buf.subarray(at, at + n) }, used: at + n };
    }
    if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (let guard = 0; guard < 100000; guard++) {
        const eol = buf.indexOf('\r\n', at);
        if (eol === -1) return undefined;
        const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
        if (size === 0) {
          // The last chunk's line end, any trailer lines, then the blank line.
          const trailerEnd = buf.indexOf('\r\n\r\n', eol);
          if (trailerEnd === -1) return undefined;
          return { response: { status, headers, body: Buffer.concat(parts) }, used: trailerEnd + 4 };
        }
        if (buf.length < eol + 2 + size + 2) return undefined;
        parts.push(buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      throw new Error('too many chunks');
    }
    // Read until close.
    if (!isClosed) return undefined;
    return { response: { status, headers, body: buf.subarray(at) }, used: buf.length };
  };

  const waitUntil = <T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const w = () => {
        let v: T | undefined;
        try {
          v = check();
        } catch (err) {
          done();
          reject(err as Error);
          return;
        }
        if (v !== undefined) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`raw client: timed out waiting for ${what}; received ${JSON.stringify(buf.toString('latin1'))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(w);
      };
      waiters.add(w);
      w();
    });

  return {
    write: (bytes) => socket.write(bytes),
    end: () => socket.end(),
    response: (opts = {}) =>
      waitUntil(
        'a response',
        () => {
          // Informational responses (100 Continue) precede the final one: skipped.
          for (let guard = 0; guard < 100; guard++) {
            const r = parse(opts.bodyless ?? false);
            if (!r) {
              if (isClosed) throw new Error(`connection closed without a complete response; received ${JSON.stringify(buf.toString('latin1'))}`);
              return undefined;
            }
            buf = buf.subarray(r.used);
            if (r.response.status >= 200) return r.response;
          }
          throw new Error('too many informational responses');
        },
        opts.timeoutMs ?? 5000,
      ),
    closed: async (timeoutMs = 5000) => {
      await waitUntil('the connection to close', () => (isClosed ? true : undefined), timeoutMs);
    },
    get isClosed() {
      return isClosed;
    },
    destroy: () => socket.destroy(),
  };
}
