// The load generator's RFC 8441 client: WebSockets as extended CONNECT streams of HTTP/2
// sessions (Node's http2 client: `:method CONNECT`, `:protocol websocket`), the frames on each
// stream written and read by a `ws` WebSocket in client mode (masked, as a browser's), so the
// echo scenario runs the same `ws` code over h2 as over HTTP/1.1.

import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';

/** An h2 session to `origin` (https://host:port) that has read the server's SETTINGS: an extended CONNECT needs SETTINGS_ENABLE_CONNECT_PROTOCOL first. */
export function connectH2(origin: string, ca: string | undefined): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(origin, ca ? { ca } : {});
  return new Promise((resolve, reject) => {
    session.once('error', reject);
    session.once('remoteSettings', (settings) => {
      session.off('error', reject);
      if (!settings.enableConnectProtocol) {
        session.destroy();
        reject(new Error(`${origin} does not offer RFC 8441 (no SETTINGS_ENABLE_CONNECT_PROTOCOL)`));
        return;
      }
      resolve(session);
    });
  });
}

/**
 * A `ws` WebSocket in client mode on a stream whose extended CONNECT was accepted: its public
 * client needs a URL and makes its own HTTP/1.1 handshake; setSocket is what its server uses.
 */
export function webSocketOn(stream: Duplex, maxPayload: number): WebSocket {
  const ws = new WebSocket(null as unknown as string, undefined, {} as WebSocket.ClientOptions);
  const internals = ws as unknown as { _isServer: boolean; setSocket(s: Duplex, head: Buffer, o: { maxPayload: number }): void };
  internals._isServer = false;
  internals.setSocket(stream, Buffer.alloc(0), { maxPayload });
  return ws;
}

/** Opens a WebSocket to `url` (wss://) as a stream of `session`; rejects unless the answer is `:status 200`. */
export function openWebSocketOverH2(
  session: http2.ClientHttp2Session,
  url: string,
  maxPayload: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<WebSocket> {
  const u = new URL(url);
  const stream = session.request({
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': `${u.pathname}${u.search}`,
    ':authority': u.host,
    'sec-websocket-version': '13',
    ...headers,
  });
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    stream.once('error', fail);
    stream.once('close', () => reject(new Error(`extended CONNECT stream closed before a response (code ${stream.rstCode})`)));
    stream.once('response', (h) => {
      stream.off('error', fail);
      if (Number(h[':status']) !== 200) {
        stream.destroy();
        reject(new Error(`extended CONNECT answered ${h[':status']}`));
        return;
      }
      resolve(webSocketOn(stream, maxPayload));
    });
  });
}
