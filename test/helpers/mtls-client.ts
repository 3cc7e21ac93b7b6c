// Requests over TLS with or without a client certificate, each on a connection of its own
// (test/proxy/client-certificates.test.ts, route-client-certificates.test.ts): what the
// handshake and wsgate answered, and the X-Forwarded-Client-Cert the backend (startHttpBackend's
// /hello) received.

import tls from 'node:tls';
import type { HelloBody } from './http-backend.js';

export type Pem = { cert: string; key: string };

export interface Answer {
  status: number;
  /** The headers the backend received (a 200 from /hello), or of the upgrade it saw. */
  xfcc?: string | string[] | undefined;
}

/** One request written raw over its own TLS connection; rejects when the handshake or the connection fails before an answer. */
export function rawRequest(port: number, serverCa: string, client: Pem | undefined, request: string, sni = true): Promise<string> {
  return new Promise((resolve, reject) => {
    // Without SNI the handshake stays on the TLS server's default context (no SNI callback).
    const name = sni ? { servername: 'example.org' } : { checkServerIdentity: () => undefined };
    const socket = tls.connect({ host: '127.0.0.1', port, ...name, ca: serverCa, ALPNProtocols: ['http/1.1'], ...(client ?? {}) }, () => socket.write(request));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('no answer in 10 s')), 10_000);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') reject(err ?? new Error('the connection closed without an answer'));
      else resolve(text);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // An upgrade's answer is its head (a 101 stays open).
      if (request.includes('Upgrade: websocket') && Buffer.concat(chunks).includes('\r\n\r\n')) finish();
    });
    socket.on('end', () => finish());
    socket.on('error', (err) => finish(err));
  });
}

export async function get(port: number, serverCa: string, client: Pem | undefined, extraHeaders = '', sni = true, path = '/hello'): Promise<Answer> {
  const text = await rawRequest(port, serverCa, client, `GET ${path} HTTP/1.1\r\nHost: example.org\r\n${extraHeaders}Connection: close\r\n\r\n`, sni);
  const status = Number(text.slice(9, 12));
  if (status !== 200) return { status };
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as HelloBody;
  return { status, xfcc: body.headers['x-forwarded-client-cert'] };
}
