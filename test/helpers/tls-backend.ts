// An https:// and wss:// backend that says what it saw of the TLS connection: the SNI the proxy
// sent and the client certificate it presented (when the server asks for one), for plain
// requests (a JSON body) and upgrades (a JSON greeting, then echo). For backend TLS tests.

import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { WebSocketServer } from 'ws';
import { closeWebSocketServer } from '../../examples/echo-server.js';

export interface TlsSeen {
  backend: string;
  path: string;
  sni: string | null;
  /** The CN of the client certificate the proxy presented; null when none. */
  clientCertificate: string | null;
}

export interface TlsBackend {
  port: number;
  /** Plain requests and upgrades that got past the handshake. */
  readonly seen: TlsSeen[];
  close(): Promise<void>;
}

export interface TlsBackendOptions {
  cert: string;
  key: string;
  /** Require a client certificate issued by this CA (PEM); absent: none is asked for. */
  clientCa?: string;
}

function seenOn(backend: string, path: string | undefined, socket: net.Socket): TlsSeen {
  const s = socket as tls.TLSSocket;
  const peer = s.getPeerCertificate?.();
  const cn = peer && Object.keys(peer).length > 0 ? peer.subject?.CN : undefined;
  return { backend, path: path ?? '', sni: (s as tls.TLSSocket & { servername?: string | false }).servername || null, clientCertificate: typeof cn === 'string' ? cn : null };
}

export async function startTlsBackend(name: string, o: TlsBackendOptions): Promise<TlsBackend> {
  const seen: TlsSeen[] = [];
  const server = https.createServer({ cert: o.cert, key: o.key, ...(o.clientCa ? { ca: o.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
    const s = seenOn(name, req.url, req.socket);
    seen.push(s);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    const s = seenOn(name, req.url, req.socket);
    seen.push(s);
    ws.send(JSON.stringify(s));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as net.AddressInfo).port, seen, close: () => closeWebSocketServer(wss, server) };
}
