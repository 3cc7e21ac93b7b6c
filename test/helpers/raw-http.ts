// Sends exact bytes and reads the status line and headers back: for malformed requests that
// no well-behaved client library would send.

import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  raw: string;
}

export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${timeoutMs} ms; got ${JSON.stringify(data)}`));
    }, timeoutMs);
    socket.on('data', (c) => {
      data += c.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end !== -1) {
        clearTimeout(timer);
        socket.destroy();
        resolve(parse(data));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (data.includes('\r\n\r\n')) return;
      reject(new Error(`connection closed without a response; got ${JSON.stringify(data)}`));
    });
    socket.write(request);
  });
}

function parse(raw: string): RawResponse {
  const [statusLine = '', ...lines] = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(raw)}`);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers, raw };
}

/** A well-formed upgrade request head; override any header with `headers` (null removes it). */
export function upgradeRequest(path: string, headers: Record<string, string | null> = {}, method = 'GET'): string {
  const base: Record<string, string | null> = {
    Host: 'localhost',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let out = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(base)) if (v !== null) out += `${k}: ${v}\r\n`;
  return out + '\r\n';
}
