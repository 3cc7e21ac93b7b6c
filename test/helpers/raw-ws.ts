// An upgrade sent as exact bytes (for headers a client library would rewrite, such as
// Connection), reading the 101 and the echo backend's first (greeting) frame. Options: bytes
// sent before the request on the TCP connection (a PROXY protocol header, before TLS too), TLS,
// and keeping the connection open (the caller destroys `socket`).

import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Hello } from '../../examples/echo-server.js';

export interface RawUpgradeOptions {
  /** Written first on the TCP connection, before TLS when `tls` is set. */
  prefix?: Buffer;
  tls?: tls.ConnectionOptions;
  /** Leave the connection open after the answer (the caller destroys `socket`). */
  keepOpen?: boolean;
  /** Where to connect (default 127.0.0.1; ::1 for the IPv6 tests). */
  host?: string;
}

/** status 0: the connection closed before any answer. */
export interface RawUpgradeResult {
  status: number;
  hello?: Hello;
  socket: Duplex;
}

export function rawUpgradeHello(port: number, request: string, timeoutMs = 5000, opts: RawUpgradeOptions = {}): Promise<RawUpgradeResult> {
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ host: opts.host ?? '127.0.0.1', port });
    if (opts.prefix) tcp.write(opts.prefix);
    const socket: Duplex = opts.tls ? tls.connect({ ...opts.tls, socket: tcp }) : tcp;
    let buf = Buffer.alloc(0);
    let answered = false;
    const timer = setTimeout(() => {
      tcp.destroy();
      reject(new Error(`no greeting within ${timeoutMs} ms: ${JSON.stringify(buf.toString('latin1'))}`));
    }, timeoutMs);
    const done = (v: { status: number; hello?: Hello }) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (!opts.keepOpen) socket.destroy();
      resolve({ ...v, socket });
    };
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.toString('latin1'))?.[1] ?? 0);
      if (status !== 101) return done({ status });
      const frame = buf.subarray(end + 4);
      if (frame.length < 2) return;
      let len = frame[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (frame.length < 4) return;
        len = frame.readUInt16BE(2);
        off = 4;
      }
      if (frame.length < off + len) return;
      done({ status, hello: JSON.parse(frame.subarray(off, off + len).toString('utf8')) as Hello });
    });
    // Closed before an answer: a reset or a failed TLS handshake is that too.
    socket.on('close', () => done({ status: 0 }));
    socket.on('error', () => done({ status: 0 }));
    if (opts.tls) (socket as tls.TLSSocket).once('secureConnect', () => socket.write(request));
    else socket.write(request);
  });
}
