// An upgrade sent as exact bytes (for headers a client library would rewrite, such as
// Connection), reading the 101 and the echo backend's first (greeting) frame.

import net from 'node:net';
import type { Hello } from '../../examples/echo-server.js';

export function rawUpgradeHello(port: number, request: string, timeoutMs = 5000): Promise<{ status: number; hello?: Hello }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting within ${timeoutMs} ms: ${JSON.stringify(buf.toString('latin1'))}`));
    }, timeoutMs);
    const done = (v: { status: number; hello?: Hello }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
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
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(request);
  });
}
